"""GET, POST /organizations and GET, PATCH, DELETE /organizations/{organization_id}."""

import pytest

from organizations.models import Invitation, Membership, Organization, Role
from tests.factories import (
    DEFAULT_PASSWORD,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    make_org_with_roles,
)
from tests.organizations.assertions import assert_error, assert_page

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizations"


class TestCreate:
    def test_creator_becomes_the_owner(self, auth_client):
        response = auth_client.post(BASE, {"name": "Acme Corp"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {
            "id", "name", "slug", "role", "member_count", "require_mfa", "language", "created_at", "updated_at"
        }  # fmt: skip
        assert body["name"] == "Acme Corp"
        assert body["language"] == "english"
        assert body["slug"] == "acme-corp"
        assert body["role"] == "owner"
        assert body["member_count"] == 1
        organization = Organization.objects.get(pk=body["id"])
        assert organization.created_by == auth_client.user
        membership = Membership.objects.get(organization=organization)
        assert (membership.user, membership.role) == (auth_client.user, Role.OWNER)

    def test_derived_slugs_are_made_unique_by_suffixing(self, auth_client):
        slugs = [auth_client.post(BASE, {"name": "Acme Corp"}).json()["slug"] for _ in range(3)]
        assert slugs == ["acme-corp", "acme-corp-2", "acme-corp-3"]

    def test_a_name_without_latin_letters_still_gets_a_slug(self, auth_client):
        assert auth_client.post(BASE, {"name": "☃☃☃"}).json()["slug"] == "organization"

    def test_a_long_name_gives_a_slug_that_fits(self, auth_client):
        OrganizationFactory(slug=("x" * 44))
        slug = auth_client.post(BASE, {"name": "x" * 150}).json()["slug"]
        assert slug == "x" * 44 + "-2"

    def test_explicit_slug_is_kept_lower_case(self, auth_client):
        assert auth_client.post(BASE, {"name": "Acme", "slug": "ACME-HQ"}).json()["slug"] == "acme-hq"

    def test_explicit_slug_already_taken_is_a_field_error(self, auth_client):
        OrganizationFactory(slug="acme")
        body = assert_error(auth_client.post(BASE, {"name": "Acme", "slug": "acme"}), 400, "unique")
        assert body["errors"][0]["field"] == "slug"
        assert Organization.objects.count() == 1

    @pytest.mark.parametrize(
        ("data", "field", "code"),
        [
            ({}, "name", "required"),
            ({"name": ""}, "name", "blank"),
            ({"name": "x" * 151}, "name", "max_length"),
            ({"name": "Acme", "slug": "not a slug"}, "slug", "invalid"),
        ],
    )
    def test_invalid_input(self, auth_client, data, field, code):
        body = assert_error(auth_client.post(BASE, data), 400, code)
        assert body["errors"][0]["field"] == field


class TestList:
    def test_shows_the_callers_organizations_with_the_callers_role(self, auth_client):
        for name, role in [("Beta", Role.VIEWER), ("Alpha", Role.ADMIN)]:
            MembershipFactory(organization=OrganizationFactory(name=name), user=auth_client.user, role=role)
        OrganizationFactory(name="Not mine")
        data = assert_page(auth_client.get(BASE))
        assert [(o["name"], o["role"], o["member_count"]) for o in data] == [
            ("Alpha", "admin", 1),
            ("Beta", "viewer", 1),
        ]

    def test_member_count_counts_everyone_not_just_the_caller(self, org, client_for):
        assert assert_page(client_for(org.viewer).get(BASE))[0]["member_count"] == 4

    def test_paginates(self, auth_client):
        for index in range(5):
            MembershipFactory(organization=OrganizationFactory(name=f"Org {index}"), user=auth_client.user)
        body = auth_client.get(f"{BASE}?page_size=2&page=3").json()
        assert [o["name"] for o in body["data"]] == ["Org 4"]
        assert body["pagination"] == {
            "total": 5,
            "total_exact": True,
            "page": 3,
            "page_size": 2,
            "total_pages": 3,
            "has_next": False,
            "has_prev": True,
        }

    def test_a_superuser_lists_only_their_own_organizations(self, org, client_for, superuser):
        assert assert_page(client_for(superuser).get(BASE)) == []


class TestRetrieveUpdateDelete:
    def test_retrieve_shows_the_callers_role(self, org, client_for):
        body = client_for(org.member).get(f"{BASE}/{org.id}").json()
        assert (body["id"], body["name"], body["role"], body["member_count"]) == (str(org.id), "Acme", "member", 4)

    def test_unknown_id_is_404(self, auth_client):
        assert_error(auth_client.get(f"{BASE}/00000000-0000-0000-0000-000000000000"), 404, "not_found")

    def test_admin_renames_and_changes_the_slug(self, org, client_for):
        response = client_for(org.admin).patch(f"{BASE}/{org.id}", {"name": "Acme Inc", "slug": "acme-inc"})
        assert response.status_code == 200, response.content
        assert (response.json()["name"], response.json()["slug"], response.json()["role"]) == (
            "Acme Inc",
            "acme-inc",
            "admin",
        )
        org.organization.refresh_from_db()
        assert org.organization.slug == "acme-inc"

    def test_changing_to_a_taken_slug_is_a_field_error(self, org, other_org, client_for):
        body = assert_error(
            client_for(org.owner).patch(f"{BASE}/{org.id}", {"slug": other_org.organization.slug}), 400, "unique"
        )
        assert body["errors"][0]["field"] == "slug"

    def test_keeping_its_own_slug_is_fine(self, org, client_for):
        response = client_for(org.owner).patch(f"{BASE}/{org.id}", {"slug": org.organization.slug})
        assert response.status_code == 200

    def test_put_is_not_offered(self, org, client_for):
        assert_error(client_for(org.owner).put(f"{BASE}/{org.id}", {"name": "x"}), 405, "method_not_allowed")

    def test_owner_deletes_it_softly_with_password_and_name(self, org, client_for):
        # Soft delete (docs/api/trash.md): gone for everyone, kept whole to be restored until its purge.
        InvitationFactory(organization=org.organization)
        other = make_org_with_roles(name="Untouched")
        body = {"password": DEFAULT_PASSWORD, "name": org.organization.name}
        assert client_for(org.owner).delete(f"{BASE}/{org.id}", body, format="json").status_code == 204
        assert not Organization.objects.filter(pk=org.id).exists()
        assert not Membership.objects.filter(organization_id=org.id).exists()
        assert Organization.all_objects.filter(pk=org.id, deleted_at__isnull=False).exists()
        assert Membership.all_objects.filter(organization_id=org.id).count() == 4
        assert Invitation.objects.filter(organization_id=org.id).exists()
        assert Membership.objects.filter(organization_id=other.id).count() == 4


class TestSuperuser:
    """Superusers may act on any organization through the API, as owners."""

    def test_reads_updates_and_deletes_an_organization_they_are_not_in(self, org, client_for, superuser):
        client = client_for(superuser)
        body = client.get(f"{BASE}/{org.id}").json()
        assert body["role"] is None  # not a member: no role of their own
        assert client.patch(f"{BASE}/{org.id}", {"name": "Fixed by support"}).status_code == 200
        assert client.get(f"{BASE}/{org.id}/members").status_code == 200
        assert client.get(f"{BASE}/{org.id}/invitations").status_code == 200
        body = {"password": DEFAULT_PASSWORD, "name": "Fixed by support"}
        assert client.delete(f"{BASE}/{org.id}", body, format="json").status_code == 204

    def test_manages_owners(self, org, client_for, superuser):
        response = client_for(superuser).post(f"{BASE}/{org.id}/members", {"email": superuser.email, "role": "owner"})
        assert response.status_code == 201
        response = client_for(superuser).patch(f"{BASE}/{org.id}/members/{org.owner.pk}", {"role": "admin"})
        assert response.status_code == 200
