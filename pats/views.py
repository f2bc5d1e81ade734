"""``/users/me/tokens`` (the person's own) and ``/organizations/{id}/tokens`` (its admins').

No scope opens these to a delegated credential (``config.permissions.TokenScope``): only a person's
own session makes, lists or revokes tokens.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from config.conditional import PreconditionMixin
from config.ratelimit import enforce_rate_limit
from config.schema import ErrorEnvelopeSerializer
from organizations.permissions import IsOrgAdmin
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet
from pats import selectors, services
from pats.models import PersonalAccessToken
from pats.serializers import (
    OrganizationTokenSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)

TOKEN_ID = OpenApiParameter("token_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Token id.")
NO_TOKEN_HERE = OpenApiResponse(
    ErrorEnvelopeSerializer, description="`insufficient_scope`: tokens are managed with your own session only."
)


@extend_schema(tags=["tokens"])
@extend_schema_view(
    list=extend_schema(
        summary="Your personal access tokens (not revoked; expired ones included), never their secrets",
        description="Each token's name, scopes, organizations, expiry and when it was last used; its prefix "
        "tells it apart. Only a session may list tokens (403 for a token).",
        responses={200: TokenSerializer(many=True), 403: NO_TOKEN_HERE},
    ),
    create=extend_schema(
        summary="Make a personal access token; the answer shows its secret, this once",
        description=(
            "Scopes from the catalogue, the organizations it reaches (yours; or `all_organizations`: every one "
            "you belong to now) and an expiry at most `PERSONAL_ACCESS_TOKEN_MAX_DAYS` (365) days away. Rate "
            "limited per account (`RATELIMIT_TOKEN_CREATE_ACCOUNT`). See docs/guides/personal-access-tokens.md."
        ),
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer, 403: NO_TOKEN_HERE},
    ),
    destroy=extend_schema(
        summary="Revoke one of your tokens: it fails from the next request on",
        description="Requests with it then answer 401 `invalid_token`. Another person's token is a 404.",
        parameters=[TOKEN_ID],
        responses={204: None, 403: NO_TOKEN_HERE},
    ),
)
class UserTokenViewSet(PreconditionMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    # The new token's secret is shown once: never kept for an Idempotency-Key replay (docs/api/concurrency.md).
    idempotency_exempt = ("create",)
    serializer_class = TokenSerializer
    lookup_url_kwarg = "token_id"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return PersonalAccessToken.objects.none()
        return selectors.token_list(user=self.request.user)

    def create(self, request):
        enforce_rate_limit(request, "token_create_account", value=str(request.user.pk))
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        token, secret = services.token_create(
            user=request.user, request=request, organization_ids=fields.pop("organizations"), **fields
        )
        token = selectors.token_list(user=request.user).get(pk=token.pk)
        token.token = secret
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, token_id):
        services.token_revoke(token=self.get_object(), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["tokens"], parameters=[ORGANIZATION_ID_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        summary="The usable personal access tokens that reach this organization, and whose (admins)",
        description="Neither revoked nor expired, with their owner, scopes and last use, never their secrets: "
        "what an admin reviews when someone leaves or a token leaks.",
        responses={200: OrganizationTokenSerializer(many=True), 403: NO_TOKEN_HERE},
    ),
    destroy=extend_schema(
        summary="Revoke a token that reaches this organization (admins): revoked entirely, for every organization",
        description="Its owner is told; requests with it answer 401 `invalid_token` from the next one on.",
        parameters=[TOKEN_ID],
        responses={204: None, 403: NO_TOKEN_HERE},
    ),
)
class OrganizationTokenViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    lookup_url_kwarg = "token_id"
    organization_field = "organizations"
    serializer_class = OrganizationTokenSerializer
    permission_classes = [IsOrgAdmin]
    filter_backends: list = []

    def get_queryset(self):
        tokens = selectors.token_list_for_organization()
        if self.organization is not None:  # a former member's token reaches nothing here: not listed
            tokens = tokens.filter(user__memberships__organization=self.organization)
        return tokens

    def destroy(self, request, **kwargs):
        services.token_revoke(
            token=self.get_object(),
            actor=request.user,
            request=request,
            reason="organization_admin",
            organization=self.organization,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
