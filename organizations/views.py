"""Organizations, members and invitations. Each action: input serializer, one service, output serializer.

Scoping and the 404 for other organizations come from ``organizations.viewsets.OrganizationScopedViewSet``;
role checks from ``organizations.permissions``; the rules that depend on the data from the services.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.serializers import UserReferenceSerializer
from config.credentials import credential_organization_ids
from config.pagination import StandardPagination
from config.permissions import ANY_SCOPE, TokenScope
from config.ratelimit import enforce_caller_rate_limits
from config.reauth import require_recent_authentication
from config.schema import ErrorEnvelopeSerializer
from organizations import selectors, services
from organizations.filters import MembershipFilter
from organizations.models import Invitation, Organization
from organizations.permissions import CanManageMember, IsOrgAdmin, IsOrgMember, IsOrgOwner
from organizations.serializers import (
    DeletedOrganizationSerializer,
    InvitationCreateSerializer,
    InvitationPublicSerializer,
    InvitationSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    OrganizationCreateSerializer,
    OrganizationDeleteSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
)
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet

USER_ID = OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The member's user id.")
INVITATION_ID = OpenApiParameter(
    "invitation_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Invitation id."
)
TOKEN = OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH, description="The token from the email link.")

INVITATION_GONE = OpenApiResponse(
    ErrorEnvelopeSerializer,
    description="The token can no longer be used: `invitation_expired`, `invitation_revoked` or `invitation_used`.",
)


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def render_organization(organization: Organization, user) -> dict:
    """Re-read with the caller's role and the member count, as every organization response shows them."""
    annotated = selectors.organization_list(user=user).get(pk=organization.pk)
    return OrganizationSerializer(annotated).data


@extend_schema(tags=["organizations"])
@extend_schema_view(
    list=extend_schema(
        summary="The caller's organizations, with the caller's role in each",
        description="Every organization the caller belongs to (a delegated credential: those it reaches), with "
        "`role` and `member_count`; `?ordering=` by name or creation.",
    ),
    create=extend_schema(
        summary="Create an organization; the creator becomes its owner",
        description="`slug` is derived from the name unless given (unique: 400 `unique` when taken). The "
        "answer's `id` is the `organization` of tasks, imports and reports.",
        request=OrganizationCreateSerializer,
        responses={201: OrganizationSerializer},
    ),
    retrieve=extend_schema(
        summary="An organization (members)",
        description="With the caller's `role`; outsiders get 404, as for an organization that does not exist.",
    ),
    partial_update=extend_schema(
        summary="Rename an organization or change its slug (admins); require a second factor (owners)",
        description="`require_mfa` is the owners': other roles get 403 `permission_denied`; an owner without a "
        "second factor of their own gets 409 `mfa_not_enabled` when switching it on.",
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer},
    ),
    destroy=extend_schema(
        summary="Delete an organization (owners): restorable for ORGANIZATION_RESTORE_DAYS, then purged",
        description=(
            "Needs the organization's `name` typed back and the caller's `password` (or, without it, a session "
            "that re-authenticated recently: otherwise 403 `reauthentication_required`); a wrong one is 400 on "
            "that field (`invalid`, `name_mismatch`). On 204 the organization, its tasks and everything in it "
            "answer 404 to every member; its owners restore it with `POST /organizations/{id}/restore` until "
            "`restorable_until` (`GET /organizations/deleted`)."
        ),
        request=OrganizationDeleteSerializer,
        responses={204: None},
    ),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    delete_has_body = True  # the password and the name typed back (config/schema.py)
    lookup_url_kwarg = "organization_id"
    organization_field = None
    serializer_class = OrganizationSerializer
    ordering_fields = ["name", "created_at"]
    permission_classes = [IsOrgMember]
    permission_classes_by_action = {"partial_update": [IsOrgAdmin], "destroy": [IsOrgOwner]}
    # Any token sees the organizations it reaches; creating or deleting one is the person's own session's.
    required_scopes = {"list": ANY_SCOPE, "retrieve": ANY_SCOPE, "partial_update": "org:admin"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return Organization.objects.none()
        return selectors.organization_list(user=self.request.user)

    def allowed_without_second_factor(self) -> bool:
        return self.action == "list"  # members see every organization, and which require a second factor

    def create(self, request):
        organization = services.organization_create(
            created_by=request.user, **validated(OrganizationCreateSerializer, request)
        )
        return Response(render_organization(organization, request.user), status=status.HTTP_201_CREATED)

    def partial_update(self, request, **kwargs):
        organization = services.organization_update(
            organization=self.organization, actor=request.user, **validated(OrganizationUpdateSerializer, request)
        )
        return Response(render_organization(organization, request.user))

    def destroy(self, request, **kwargs):
        data = validated(OrganizationDeleteSerializer, request)
        password = data.get("password")
        if password is None:
            require_recent_authentication(request)
        else:
            # A guess of the password: counted with the re-authentications (sessions_app/views.py).
            enforce_caller_rate_limits(request, "reauthenticate")
        services.organization_delete(
            organization=self.organization, actor=request.user, password=password, name=data["name"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["organizations"])
class DeletedOrganizationViewSet(viewsets.GenericViewSet):
    """Deleted organizations, for their owners to restore. Not under the tenant seam: a deleted organization
    is 404 there for everyone; here its owners (at deletion) see it and bring it back. The person's own
    session only, as deleting one is (no ``required_scopes``)."""

    permission_classes = [IsAuthenticated, TokenScope]
    serializer_class = DeletedOrganizationSerializer
    pagination_class = StandardPagination
    queryset = Organization.all_objects.none()  # for the schema; the actions choose their own rows

    @extend_schema(
        summary="The deleted organizations the caller owned, with when they can be restored until",
        description="Organizations deleted less than `ORGANIZATION_RESTORE_DAYS` ago of which the caller was an "
        "owner; `restorable_until` says until when `POST /organizations/{id}/restore` brings one back.",
        responses=DeletedOrganizationSerializer(many=True),
    )
    def list(self, request):
        page = self.paginate_queryset(selectors.organization_deleted_list(user=request.user))
        return self.get_paginated_response(DeletedOrganizationSerializer(page, many=True).data)

    @extend_schema(
        summary="Restore a deleted organization with everything in it (its owners)",
        description=(
            "Its owners when it was deleted (and superusers): other members 403, anyone else 404, as for an "
            "organization that is not deleted. 410 `restore_window_over` after `ORGANIZATION_RESTORE_DAYS`; "
            "409 `slug_taken` when another organization took its slug meanwhile."
        ),
        parameters=[ORGANIZATION_ID_PARAMETER],
        request=None,
        responses={200: OrganizationSerializer},
    )
    def restore(self, request, organization_id):
        organization = services.organization_restore(organization_id=organization_id, actor=request.user)
        return Response(render_organization(organization, request.user))


@extend_schema(tags=["members"])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's members with their roles (members)",
        description="Each member's user (id, username, name, email) with `role` and `joined_at`; `?ordering=` by "
        "role, joining or email.",
    ),
    create=extend_schema(
        summary="Add an existing user by email with a role (admins; owners to add an owner)",
        description=(
            "An account whose email is verified becomes a member: 201 with the membership. An account whose "
            "email is not verified is never added by its email: the address is invited instead, and the answer "
            "is 202 with the invitation (accepting it proves the address). No account: 400 `user_not_found`."
        ),
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, 202: InvitationSerializer},
    ),
    retrieve=extend_schema(
        summary="One member (members)",
        description="A user who is not a member answers 404.",
        parameters=[USER_ID],
    ),
    partial_update=extend_schema(
        summary="Change a member's role (admins below owner, owners anyone; never one's own)",
        description="Demoting the last owner answers 409 `conflict`.",
        parameters=[USER_ID],
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer},
    ),
    destroy=extend_schema(
        summary="Remove a member, or leave (anyone may remove themself)",
        description="The last owner cannot leave nor be removed: 409 `conflict`.",
        parameters=[USER_ID],
        responses={204: None},
    ),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    lookup_field = "user_id"
    lookup_url_kwarg = "user_id"
    patch_needs_required_fields = True  # a role change needs its role (config.schema documents it so)
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["role", "created_at", "user__email"]
    permission_classes = [IsOrgMember]
    permission_classes_by_action = {
        "create": [IsOrgAdmin],
        "partial_update": [CanManageMember],
        "destroy": [CanManageMember],
    }
    required_scopes = {"GET": "members:read", "POST": "org:admin", "PATCH": "org:admin", "DELETE": "org:admin"}

    def allowed_without_second_factor(self) -> bool:
        # Leaving stays open to a member who will not enrol.
        return self.action == "destroy" and str(self.kwargs.get("user_id")) == str(self.request.user.pk)

    def get_queryset(self):
        return selectors.membership_list(organization=self.organization)

    def create(self, request, **kwargs):
        data = validated(MembershipCreateSerializer, request)
        added = services.membership_add_or_invite(organization=self.organization, actor=request.user, **data)
        if isinstance(added, Invitation):
            return Response(InvitationSerializer(added).data, status=status.HTTP_202_ACCEPTED)
        return Response(MembershipSerializer(added).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, **kwargs):
        membership = self.get_object()
        data = validated(MembershipUpdateSerializer, request)
        membership = services.membership_change_role(membership=membership, actor=request.user, **data)
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, **kwargs):
        services.membership_remove(membership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["invitations"])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's invitations, every status (admins)",
        description="Pending, accepted, revoked and expired, with who invited and when each expires "
        "(`INVITATION_EXPIRY_DAYS` after it was sent).",
    ),
    create=extend_schema(
        summary="Invite an email address with a role; the email carries a one-time link (admins)",
        description="An address that is a member already, or has a pending invitation, answers 409 `conflict`.",
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
    ),
    retrieve=extend_schema(
        summary="One invitation (admins)",
        description="Its email, role, status, who invited and when it expires; never its token.",
        parameters=[INVITATION_ID],
    ),
    destroy=extend_schema(
        summary="Revoke an invitation: its link stops working (admins)",
        description="The link then answers 410 `invitation_revoked`; an accepted invitation cannot be revoked "
        "(409 `conflict`): remove the member instead.",
        parameters=[INVITATION_ID],
        responses={204: None},
    ),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    lookup_url_kwarg = "invitation_id"
    serializer_class = InvitationSerializer
    ordering_fields = ["created_at", "expires_at", "email"]
    permission_classes = [IsOrgAdmin]
    required_scopes = {"GET": "org:admin", "POST": "org:admin", "DELETE": "org:admin"}

    def get_queryset(self):
        return selectors.invitation_list(organization=self.organization)

    def create(self, request, **kwargs):
        data = validated(InvitationCreateSerializer, request)
        invitation = services.invitation_create(organization=self.organization, invited_by=request.user, **data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, **kwargs):
        services.invitation_revoke(invitation=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Email a new link and renew the expiry; the previous link stops working (admins)",
        description="A revoked or accepted invitation answers 409 `conflict`.",
        parameters=[INVITATION_ID],
        request=None,
        responses={200: InvitationSerializer},
    )
    def resend(self, request, **kwargs):
        invitation = services.invitation_resend(invitation=self.get_object(), actor=request.user)
        return Response(self.get_serializer(invitation).data)


@extend_schema(tags=["invitations"], parameters=[TOKEN])
@extend_schema_view(
    retrieve=extend_schema(
        summary="Look up an invitation by the token from its email link (no sign-in needed)",
        description="What the invitee's page shows before accepting: the organization, the invited email, the "
        "role, who invited and until when. 404 for an unknown token; 410 for one that can no longer be used.",
        responses={200: InvitationPublicSerializer, 410: INVITATION_GONE},
    ),
)
class InvitationTokenViewSet(viewsets.GenericViewSet):
    """The invitee's side: the token in the URL is the credential; only its hash is stored."""

    queryset = Invitation.objects.none()
    serializer_class = InvitationPublicSerializer

    def get_permissions(self):
        # No scope opens an invitation to a token: joining an organization is the person's own act.
        return [AllowAny(), TokenScope()] if self.action == "retrieve" else [IsAuthenticated(), TokenScope()]

    def get_invitation(self, token: str) -> Invitation:
        invitation = selectors.invitation_get_by_token(token=token)
        if invitation is None:
            raise NotFound("No invitation has this token.")
        return invitation

    def retrieve(self, request, token):
        invitation = self.get_invitation(token)
        services.invitation_usable_require(invitation)
        return Response(InvitationPublicSerializer(invitation).data)

    @extend_schema(
        summary="Accept an invitation, signed in with the invited email address",
        description=(
            "Joins the organization with the invited role and answers the organization. Signed in with "
            "another address: 403 `invitation_email_mismatch`; already a member: 409 `conflict`."
        ),
        request=None,
        responses={200: OrganizationSerializer, 410: INVITATION_GONE},
    )
    def accept(self, request, token):
        membership = services.invitation_accept(invitation=self.get_invitation(token), user=request.user)
        return Response(render_organization(membership.organization, request.user))


# A user's profile, for the people who share an organization with them: who may see whom is an
# organizations rule, hence here rather than in accounts (which depends on no other app).
@extend_schema(tags=["users"])
class UserViewSet(viewsets.GenericViewSet):
    required_scopes = {"retrieve": "members:read"}

    @extend_schema(
        responses=UserReferenceSerializer(with_email=True),
        summary="A person's profile, seen through a shared organization",
        description="Anyone the caller shares an organization with (their own profile too); anyone else is a "
        "404. Delegated credentials need `members:read` and reach only their organizations' members.",
    )
    def retrieve(self, request, user_id):
        user = selectors.user_get(
            viewer=request.user, user_id=user_id, organization_ids=credential_organization_ids(request)
        )
        if user is None:
            raise NotFound("No such user.")
        return Response(UserReferenceSerializer(user, with_email=True).data)
