from django.urls import path

from pats.views import OrganizationTokenViewSet, UserTokenViewSet

urlpatterns = [
    path("users/me/tokens", UserTokenViewSet.as_view({"get": "list", "post": "create"}), name="user-token-list"),
    path("users/me/tokens/<uuid:token_id>", UserTokenViewSet.as_view({"delete": "destroy"}), name="user-token-detail"),
    path(
        "organizations/<uuid:organization_id>/tokens",
        OrganizationTokenViewSet.as_view({"get": "list"}),
        name="organization-token-list",
    ),
    path(
        "organizations/<uuid:organization_id>/tokens/<uuid:token_id>",
        OrganizationTokenViewSet.as_view({"delete": "destroy"}),
        name="organization-token-detail",
    ),
]
