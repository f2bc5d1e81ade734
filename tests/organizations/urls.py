"""A top-level organization resource (like the future /tasks): no organization in the URL.

It exercises the other half of ``organizations.viewsets.OrganizationScopedMixin``: lists scoped to the
caller's organizations, objects of other organizations answering 404, the role taken from the
object's organization, and creates that name their organization in the body.
"""

from django.urls import path
from rest_framework import mixins, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.urls import urlpatterns as project_urlpatterns
from organizations.models import Membership, Role
from organizations.permissions import IsOrgAdminOrReadOnly
from organizations.serializers import MembershipSerializer
from organizations.viewsets import OrganizationScopedViewSet


class AllMembershipsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    queryset = Membership.objects.select_related("user").order_by("user__email")
    serializer_class = MembershipSerializer
    permission_classes = [IsOrgAdminOrReadOnly]

    def create(self, request):
        access = self.require_organization(request.data.get("organization"))
        if access.role < Role.ADMIN:
            raise PermissionDenied()
        return Response({"organization": str(access.organization.pk)}, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk):
        self.get_object()
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("api/v1/_test/memberships", AllMembershipsViewSet.as_view({"get": "list", "post": "create"})),
    path(
        "api/v1/_test/memberships/<uuid:pk>",
        AllMembershipsViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
    ),
    *project_urlpatterns,
]
