"""The base viewset on a top-level resource, and the permission classes on their own."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIRequestFactory

from organizations.models import Membership, Role
from organizations.permissions import (
    CanManageMember,
    IsOrgAdmin,
    IsOrgAdminOrReadOnly,
    IsOrgEditorOrReadOnly,
    IsOrgMember,
    IsOrgOwner,
)
from organizations.selectors import OrganizationAccess
from organizations.viewsets import (
    PROTECTED_METHODS,
    OrganizationScopedMixin,
    OrganizationScopedViewSet,
    ProtectedMethodError,
)
from tests.organizations.assertions import assert_error, assert_page

URL = "/api/v1/_test/memberships"


@pytest.mark.django_db
@pytest.mark.urls("tests.organizations.urls")
class TestTopLevelResource:
    def test_list_is_scoped_to_the_callers_organizations(self, org, other_org, client_for):
        data = assert_page(client_for(org.viewer).get(URL))
        assert {m["user"]["id"] for m in data} == {str(u.pk) for u in org.users.values()}

    def test_an_object_of_another_organization_is_404(self, org, other_org, client_for):
        foreign = Membership.objects.get(organization_id=other_org.id, user=other_org.viewer)
        assert_error(client_for(org.owner).get(f"{URL}/{foreign.pk}"), 404, "not_found")
        assert_error(client_for(org.viewer).delete(f"{URL}/{foreign.pk}"), 404, "not_found")

    def test_the_role_comes_from_the_objects_organization(self, org, client_for):
        own = Membership.objects.get(organization_id=org.id, user=org.member)
        assert client_for(org.viewer).get(f"{URL}/{own.pk}").status_code == 200
        assert_error(client_for(org.viewer).delete(f"{URL}/{own.pk}"), 403, "permission_denied")
        assert client_for(org.admin).delete(f"{URL}/{own.pk}").status_code == 204

    def test_a_superuser_opens_any_object_but_lists_only_their_own(self, org, client_for, superuser):
        own = Membership.objects.get(organization_id=org.id, user=org.member)
        client = client_for(superuser)
        assert client.get(f"{URL}/{own.pk}").status_code == 200
        assert client.delete(f"{URL}/{own.pk}").status_code == 204
        assert assert_page(client.get(URL)) == []

    @pytest.mark.parametrize(
        ("caller", "organization", "expected"),
        [
            ("admin", "org", 201),
            ("member", "org", 403),
            ("admin", "other_org", 404),
            ("admin", "not-a-uuid", 404),
            ("admin", None, 404),
        ],
    )
    def test_create_names_its_organization_in_the_body(
        self, org, other_org, client_for, caller, organization, expected
    ):
        ids = {"org": str(org.id), "other_org": str(other_org.id)}
        response = client_for(org.users[caller]).post(URL, {"organization": ids.get(organization, organization)})
        assert response.status_code == expected, response.content

    def test_anonymous_is_401(self, api_client):
        assert_error(api_client.get(URL), 401, "not_authenticated")


def view_with(role, method="GET", user_pk="caller"):
    view = OrganizationScopedMixin()
    view.org_access = None if role is None else OrganizationAccess(organization=None, membership=None, role=Role(role))
    request = getattr(APIRequestFactory(), method.lower())("/")
    request.user = SimpleNamespace(pk=user_pk)
    return view, request


ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


@pytest.mark.parametrize(
    ("permission", "method", "allowed"),
    [
        (IsOrgMember, "GET", ROLES),
        (IsOrgMember, "DELETE", ROLES),
        (IsOrgEditorOrReadOnly, "GET", ROLES),
        (IsOrgEditorOrReadOnly, "POST", [Role.MEMBER, Role.ADMIN, Role.OWNER]),
        (IsOrgAdmin, "GET", [Role.ADMIN, Role.OWNER]),
        (IsOrgAdminOrReadOnly, "GET", ROLES),
        (IsOrgAdminOrReadOnly, "PATCH", [Role.ADMIN, Role.OWNER]),
        (IsOrgOwner, "DELETE", [Role.OWNER]),
    ],
)
def test_role_permissions_compare_ordered_roles(permission, method, allowed):
    for role in ROLES:
        view, request = view_with(role, method)
        assert permission().has_permission(request, view) is (role in allowed), role
        assert permission().has_object_permission(request, view, object()) is (role in allowed), role
    assert permission.__doc__
    assert permission.message


def test_without_an_organization_yet_the_object_decides():
    view, request = view_with(None)
    assert IsOrgOwner().has_permission(request, view) is True  # a scoped list, or an object to come
    assert IsOrgOwner().has_object_permission(request, view, object()) is False


@pytest.mark.parametrize(
    ("actor", "target", "method", "self_", "allowed"),
    [
        (Role.ADMIN, Role.MEMBER, "PATCH", False, True),
        (Role.ADMIN, Role.ADMIN, "DELETE", False, True),
        (Role.ADMIN, Role.OWNER, "PATCH", False, False),
        (Role.ADMIN, Role.OWNER, "DELETE", False, False),
        (Role.OWNER, Role.OWNER, "DELETE", False, True),
        (Role.MEMBER, Role.VIEWER, "DELETE", False, False),
        (Role.VIEWER, Role.VIEWER, "DELETE", True, True),
        (Role.VIEWER, Role.VIEWER, "PATCH", True, False),
    ],
)
def test_can_manage_member(actor, target, method, self_, allowed):
    view, request = view_with(actor, method)
    membership = SimpleNamespace(role=target, user_id="caller" if self_ else "someone-else")
    permission = CanManageMember()
    assert (
        permission.has_permission(request, view) and permission.has_object_permission(request, view, membership)
    ) is allowed


def test_a_view_without_the_mixin_is_a_configuration_error():
    request = APIRequestFactory().get("/")
    with pytest.raises(ImproperlyConfigured, match="OrganizationScopedMixin"):
        IsOrgAdmin().has_permission(request, object())


@pytest.mark.parametrize(
    ("field", "obj", "expected"),
    [
        (None, SimpleNamespace(pk="org-1"), "org-1"),
        ("organization", SimpleNamespace(organization_id="org-2"), "org-2"),
        ("task__organization", SimpleNamespace(task=SimpleNamespace(organization_id="org-3")), "org-3"),
    ],
)
def test_organization_of_an_object_follows_organization_field(field, obj, expected):
    view = OrganizationScopedMixin()
    view.organization_field = field
    assert view.organization_id_of(obj) == expected


@pytest.mark.parametrize("method", PROTECTED_METHODS)
def test_a_subclass_cannot_override_the_methods_that_scope(method):
    with pytest.raises(ProtectedMethodError, match=method):
        type("Leaky", (OrganizationScopedViewSet,), {method: lambda self, *args: None})


def test_a_subclass_extends_through_get_queryset():
    view = type("Fine", (OrganizationScopedViewSet,), {"get_queryset": lambda self: Membership.objects.all()})
    assert view.filter_queryset is OrganizationScopedViewSet.filter_queryset
