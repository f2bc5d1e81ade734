from django.urls import path

from sso import views

urlpatterns = [
    path("oauth/providers", views.ProviderListView.as_view(), name="sso-provider-list"),
    path("oauth/authorize/<str:provider>", views.AuthorizeView.as_view(), name="sso-authorize"),
    path("oauth/callback/<str:provider>", views.CallbackView.as_view(), name="sso-callback"),
    path("oauth/reauthenticate/<str:provider>", views.ReauthenticateStartView.as_view(), name="sso-reauthenticate"),
    path("users/me/identities", views.IdentityListView.as_view(), name="user-identity-list"),
    path("users/me/identities/<uuid:pk>", views.IdentityDetailView.as_view(), name="user-identity-detail"),
    path("users/me/identities/<str:provider>", views.IdentityLinkStartView.as_view(), name="user-identity-link"),
]
