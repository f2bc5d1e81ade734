from django.urls import path

from mfa import views

urlpatterns = [
    path("users/me/mfa", views.MfaStateView.as_view(), name="user-mfa"),
    path("users/me/mfa/totp", views.TotpView.as_view(), name="user-mfa-totp"),
    path("users/me/mfa/totp/confirm", views.TotpConfirmView.as_view(), name="user-mfa-totp-confirm"),
    path("users/me/mfa/recovery-codes", views.RecoveryCodesView.as_view(), name="user-mfa-recovery-codes"),
]
