"""Grants as the API shows them: the person's own (``/users/me/authorizations``), and those that reach an
organization, for its administrators (``/organizations/{id}/authorizations``)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.response import Response

from config.conditional import PreconditionMixin
from oauth_server import selectors, services
from oauth_server.serializers import OAuthGrantSerializer, OrganizationOAuthGrantSerializer
from organizations.permissions import IsOrgAdmin
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet


class AuthorizationListView(generics.ListAPIView):
    serializer_class = OAuthGrantSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.oauth_grant_list(user=self.request.user)

    @extend_schema(
        tags=["oauth"],
        summary="The applications you authorized to act for you",
        description="Each authorization's application, scopes, organizations and when it was granted and last "
        "used; revoke one with `DELETE /users/me/authorizations/{id}`.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AuthorizationDetailView(PreconditionMixin, generics.GenericAPIView):
    serializer_class = OAuthGrantSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.oauth_grant_list(user=self.request.user)

    @extend_schema(
        tags=["oauth"],
        responses={204: None},
        summary="Revoke an application's authorization",
        description="Its access and refresh tokens stop working at once.",
    )
    def delete(self, request, pk):
        services.oauth_grant_revoke(grant=self.get_object(), request=request, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["oauth"], parameters=[ORGANIZATION_ID_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        summary="Applications authorized in this organization (admins)",
        description="Which person authorized which application to reach this organization, with what scopes.",
    ),
    destroy=extend_schema(
        summary="Take this organization out of an application's authorization (admins)",
        description="The application's tokens stop reaching this organization at once; the person's other "
        "organizations stay granted. An authorization left with no organization is revoked.",
    ),
)
class OrganizationAuthorizationViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    permission_classes = [IsOrgAdmin]
    serializer_class = OrganizationOAuthGrantSerializer
    organization_field = "organizations"
    filter_backends: list = []

    def get_queryset(self):
        return selectors.oauth_grant_list_for_organization(organization_id=self.kwargs["organization_id"])

    def destroy(self, request, organization_id=None, pk=None):
        services.oauth_grant_remove_organization(
            grant=self.get_object(), organization=self.organization, request=request, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
