from django.urls import path

from config.routers import ApiRouter
from sessions_app import views

router = ApiRouter()
router.register("sessions", views.SessionViewSet, basename="session")
router.register("admin/sessions", views.AdminSessionViewSet, basename="admin-session")

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/login/mfa", views.LoginMfaView.as_view(), name="auth-login-mfa"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/reauthenticate", views.ReauthenticateView.as_view(), name="auth-reauthenticate"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    *router.urls,
]
