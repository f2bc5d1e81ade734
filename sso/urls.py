from django.urls import path, register_converter

from sso import views
from sso.models import Provider


class ProviderConverter:
    """Only the providers' names: any other segment is not a provider route (404), so
    ``users/me/identities/<anything>`` never reaches the linking view by mistake (a 405)."""

    regex = "|".join(Provider.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ProviderConverter, "provider")

urlpatterns = [
    path("oauth/providers", views.ProviderListView.as_view(), name="sso-provider-list"),
    path("oauth/authorize/<provider:provider>", views.AuthorizeView.as_view(), name="sso-authorize"),
    path("oauth/callback/<provider:provider>", views.CallbackView.as_view(), name="sso-callback"),
    path(
        "oauth/reauthenticate/<provider:provider>", views.ReauthenticateStartView.as_view(), name="sso-reauthenticate"
    ),
    path("users/me/identities", views.IdentityListView.as_view(), name="user-identity-list"),
    path("users/me/identities/<uuid:pk>", views.IdentityDetailView.as_view(), name="user-identity-detail"),
    path("users/me/identities/<provider:provider>", views.IdentityLinkStartView.as_view(), name="user-identity-link"),
]
