from django.urls import path

from organizations.views import (
    DeletedOrganizationViewSet,
    InvitationTokenViewSet,
    InvitationViewSet,
    MembershipViewSet,
    OrganizationViewSet,
    UserViewSet,
)

organizations = OrganizationViewSet.as_view({"get": "list", "post": "create"})
organization = OrganizationViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
deleted_organizations = DeletedOrganizationViewSet.as_view({"get": "list"})
organization_restore = DeletedOrganizationViewSet.as_view({"post": "restore"})
members = MembershipViewSet.as_view({"get": "list", "post": "create"})
member = MembershipViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
invitations = InvitationViewSet.as_view({"get": "list", "post": "create"})
invitation = InvitationViewSet.as_view({"get": "retrieve", "delete": "destroy"})
invitation_resend = InvitationViewSet.as_view({"post": "resend"})
invitation_by_token = InvitationTokenViewSet.as_view({"get": "retrieve"})
invitation_accept = InvitationTokenViewSet.as_view({"post": "accept"})
user = UserViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("organizations", organizations, name="organization-list"),
    path("organizations/deleted", deleted_organizations, name="organization-deleted-list"),
    path("organizations/<uuid:organization_id>", organization, name="organization-detail"),
    path("organizations/<uuid:organization_id>/restore", organization_restore, name="organization-restore"),
    path("organizations/<uuid:organization_id>/members", members, name="membership-list"),
    path("organizations/<uuid:organization_id>/members/<uuid:user_id>", member, name="membership-detail"),
    path("organizations/<uuid:organization_id>/invitations", invitations, name="invitation-list"),
    path("organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>", invitation, name="invitation-detail"),
    path(
        "organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>/resend",
        invitation_resend,
        name="invitation-resend",
    ),
    path("invitations/<str:token>", invitation_by_token, name="invitation-by-token"),
    path("invitations/<str:token>/accept", invitation_accept, name="invitation-accept"),
    path("users/<uuid:user_id>", user, name="user-detail"),
]
