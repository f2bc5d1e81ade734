"""The authorization server's protocol endpoints, mounted at the site root (config/urls.py).

The namespace is django-oauth-toolkit's own (``oauth2_provider``): its views and metadata reverse these
names. The metadata documents live at the root (RFC 8414, OpenID Connect Discovery); the endpoints under
/api/v1/oauth/provider/, apart from single sign-on's /api/v1/oauth/{authorize,callback}/{provider}.
"""

from django.urls import path, re_path
from oauth2_provider import views as dot_views

from oauth_server import views

app_name = "oauth2_provider"

PROVIDER = "api/v1/oauth/provider/"

urlpatterns = [
    path(".well-known/oauth-authorization-server", views.ServerMetadataView.as_view(), name="oauth-server-metadata"),
    re_path(
        r"^\.well-known/openid-configuration$",
        views.OpenIDConfigurationView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(f"{PROVIDER}authorize", views.AuthorizationView.as_view(), name="authorize"),
    path(f"{PROVIDER}token", views.TokenView.as_view(), name="token"),
    path(f"{PROVIDER}revoke", views.RevokeTokenView.as_view(), name="revoke-token"),
    path(f"{PROVIDER}introspect", views.IntrospectView.as_view(), name="introspect"),
    path(f"{PROVIDER}register", views.RegistrationView.as_view(), name="dcr-register"),
    path(f"{PROVIDER}jwks", dot_views.JwksInfoView.as_view(), name="jwks-info"),
    path(f"{PROVIDER}login", views.SignInView.as_view(), name="sign-in"),
    path(f"{PROVIDER}signed-in", views.SignedInView.as_view(), name="signed-in"),
]
