from django.urls import path

from oauth_server import api_views

organization_authorizations = api_views.OrganizationAuthorizationViewSet.as_view({"get": "list"})
organization_authorization = api_views.OrganizationAuthorizationViewSet.as_view({"delete": "destroy"})

urlpatterns = [
    path("users/me/authorizations", api_views.AuthorizationListView.as_view(), name="user-authorization-list"),
    path(
        "users/me/authorizations/<uuid:pk>",
        api_views.AuthorizationDetailView.as_view(),
        name="user-authorization-detail",
    ),
    path(
        "organizations/<uuid:organization_id>/authorizations",
        organization_authorizations,
        name="organization-authorization-list",
    ),
    path(
        "organizations/<uuid:organization_id>/authorizations/<uuid:pk>",
        organization_authorization,
        name="organization-authorization-detail",
    ),
]
