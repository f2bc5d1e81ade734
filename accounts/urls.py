from django.urls import path

from accounts import views

# users/me (GET, PATCH, DELETE) is routed by privacy/urls.py: its view adds DELETE to accounts.views.MeView.

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm", views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("auth/email/verify", views.EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/email/resend", views.EmailResendView.as_view(), name="auth-email-resend"),
    path("users", views.UserCreateView.as_view(), name="user-create"),
]
