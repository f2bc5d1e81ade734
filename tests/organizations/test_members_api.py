"""GET, POST /organizations/{organization_id}/members; GET, PATCH, DELETE .../members/{user_id}."""

import pytest

from organizations.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.organizations.assertions import assert_error, assert_page

pytestmark = pytest.mark.django_db


def members_url(org, user=None):
    url = f"/api/v1/organizations/{org.id}/members"
    return f"{url}/{user.pk}" if user else url


def role_of(org, user):
    return Membership.objects.filter(organization_id=org.id, user=user).values_list("role", flat=True).first()


class TestList:
    def test_members_with_roles_owners_first(self, org, client_for):
        data = assert_page(client_for(org.viewer).get(members_url(org)))
        assert [m["role"] for m in data] == ["owner", "admin", "member", "viewer"]
        first = data[0]
        assert set(first) == {"user", "role", "joined_at"}
        assert first["user"] == {
            "id": str(org.owner.pk),
            "email": org.owner.email,
            "username": org.owner.username,
            "full_name": org.owner.full_name,
        }

    def test_retrieve_one_member(self, org, client_for):
        body = client_for(org.viewer).get(members_url(org, org.admin)).json()
        assert (body["user"]["id"], body["role"]) == (str(org.admin.pk), "admin")

    def test_a_user_who_is_not_a_member_is_404(self, org, client_for):
        assert_error(client_for(org.owner).get(members_url(org, UserFactory())), 404, "not_found")


class TestAdd:
    def test_admin_adds_an_existing_user_by_email_any_case(self, org, client_for):
        newcomer = UserFactory(email="new.person@example.com")
        response = client_for(org.admin).post(members_url(org), {"email": "New.Person@EXAMPLE.com", "role": "viewer"})
        assert response.status_code == 201, response.content
        assert response.json()["user"]["id"] == str(newcomer.pk)
        assert response.json()["role"] == "viewer"
        assert role_of(org, newcomer) == Role.VIEWER

    def test_role_defaults_to_member(self, org, client_for):
        newcomer = UserFactory()
        assert client_for(org.admin).post(members_url(org), {"email": newcomer.email}).json()["role"] == "member"

    def test_unknown_email_is_a_clear_field_error(self, org, client_for):
        body = assert_error(
            client_for(org.admin).post(members_url(org), {"email": "nobody@example.com"}), 400, "user_not_found"
        )
        assert body["errors"][0]["field"] == "email"
        assert "invitation" in body["errors"][0]["message"]

    def test_already_a_member_is_409(self, org, client_for):
        body = assert_error(client_for(org.admin).post(members_url(org), {"email": org.viewer.email}), 409, "conflict")
        assert "already a member" in body["errors"][0]["message"]
        assert role_of(org, org.viewer) == Role.VIEWER

    @pytest.mark.parametrize(
        ("data", "field", "code"), [({}, "email", "required"), ({"email": "x"}, "email", "invalid")]
    )
    def test_invalid_input(self, org, client_for, data, field, code):
        body = assert_error(client_for(org.admin).post(members_url(org), data), 400, code)
        assert body["errors"][0]["field"] == field

    def test_unknown_role_label(self, org, client_for):
        body = assert_error(
            client_for(org.admin).post(members_url(org), {"email": UserFactory().email, "role": "boss"}),
            400,
            "invalid_choice",
        )
        assert body["errors"][0]["field"] == "role"

    def test_role_number_is_not_accepted(self, org, client_for):
        assert_error(
            client_for(org.admin).post(members_url(org), {"email": UserFactory().email, "role": 30}),
            400,
            "invalid_choice",
        )

    def test_admin_cannot_add_an_owner(self, org, client_for):
        newcomer = UserFactory()
        assert_error(
            client_for(org.admin).post(members_url(org), {"email": newcomer.email, "role": "owner"}),
            403,
            "permission_denied",
        )
        assert role_of(org, newcomer) is None

    def test_owner_adds_an_owner(self, org, client_for):
        newcomer = UserFactory()
        response = client_for(org.owner).post(members_url(org), {"email": newcomer.email, "role": "owner"})
        assert response.status_code == 201
        assert role_of(org, newcomer) == Role.OWNER


class TestChangeRole:
    @pytest.mark.parametrize(("target", "new_role"), [("member", "admin"), ("viewer", "member"), ("member", "viewer")])
    def test_admin_changes_roles_below_owner(self, org, client_for, target, new_role):
        response = client_for(org.admin).patch(members_url(org, org.users[target]), {"role": new_role})
        assert response.status_code == 200, response.content
        assert response.json()["role"] == new_role
        assert role_of(org, org.users[target]) == Role.from_label(new_role)

    def test_admin_demotes_another_admin(self, org, client_for):
        other_admin = MembershipFactory(organization=org.organization, role=Role.ADMIN).user
        assert client_for(org.admin).patch(members_url(org, other_admin), {"role": "member"}).status_code == 200

    def test_admin_cannot_touch_an_owner(self, org, client_for):
        assert_error(client_for(org.admin).patch(members_url(org, org.owner), {"role": "viewer"}), 403)
        assert role_of(org, org.owner) == Role.OWNER

    def test_admin_cannot_grant_owner(self, org, client_for):
        assert_error(client_for(org.admin).patch(members_url(org, org.member), {"role": "owner"}), 403)
        assert role_of(org, org.member) == Role.MEMBER

    def test_owner_grants_owner_and_demotes_another_owner(self, org, client_for):
        client = client_for(org.owner)
        assert client.patch(members_url(org, org.admin), {"role": "owner"}).json()["role"] == "owner"
        assert client.patch(members_url(org, org.admin), {"role": "member"}).json()["role"] == "member"

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_nobody_changes_their_own_role(self, org, client_for, role):
        user = org.users[role]
        new_role = "owner" if role == "admin" else "admin"
        assert_error(client_for(user).patch(members_url(org, user), {"role": new_role}), 403, "permission_denied")
        assert role_of(org, user) == Role.from_label(role)

    def test_an_owner_does_not_change_their_own_role_even_with_another_owner(self, org, client_for):
        MembershipFactory(organization=org.organization, role=Role.OWNER)
        body = assert_error(client_for(org.owner).patch(members_url(org, org.owner), {"role": "admin"}), 403)
        assert "your own role" in body["errors"][0]["message"]
        assert role_of(org, org.owner) == Role.OWNER

    def test_the_last_owner_cannot_be_demoted(self, org, client_for, superuser):
        for client in (client_for(org.owner), client_for(superuser)):
            body = assert_error(client.patch(members_url(org, org.owner), {"role": "admin"}), 409, "conflict")
            assert "at least one owner" in body["errors"][0]["message"]
        assert role_of(org, org.owner) == Role.OWNER

    def test_setting_the_same_role_is_harmless(self, org, client_for):
        assert client_for(org.admin).patch(members_url(org, org.member), {"role": "member"}).status_code == 200

    def test_role_is_required(self, org, client_for):
        assert_error(client_for(org.admin).patch(members_url(org, org.member), {}), 400, "required")


class TestRemove:
    @pytest.mark.parametrize("target", ["admin", "member", "viewer"])
    def test_admin_removes_members_below_owner(self, org, client_for, target):
        another_admin = MembershipFactory(organization=org.organization, role=Role.ADMIN).user
        assert client_for(another_admin).delete(members_url(org, org.users[target])).status_code == 204
        assert role_of(org, org.users[target]) is None

    def test_admin_cannot_remove_an_owner(self, org, client_for):
        assert_error(client_for(org.admin).delete(members_url(org, org.owner)), 403)
        assert role_of(org, org.owner) == Role.OWNER

    def test_owner_removes_another_owner(self, org, client_for):
        second = MembershipFactory(organization=org.organization, role=Role.OWNER).user
        assert client_for(org.owner).delete(members_url(org, second)).status_code == 204

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_a_member_may_leave(self, org, client_for, role):
        user = org.users[role]
        assert client_for(user).delete(members_url(org, user)).status_code == 204
        assert role_of(org, user) is None
        assert_error(client_for(user).get(f"/api/v1/organizations/{org.id}"), 404)

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_cannot_remove_others(self, org, client_for, role):
        assert_error(client_for(org.users[role]).delete(members_url(org, org.admin)), 403)
        assert role_of(org, org.admin) == Role.ADMIN

    def test_an_owner_may_leave_when_another_owner_stays(self, org, client_for):
        MembershipFactory(organization=org.organization, role=Role.OWNER)
        assert client_for(org.owner).delete(members_url(org, org.owner)).status_code == 204

    def test_the_last_owner_cannot_leave(self, org, client_for):
        body = assert_error(client_for(org.owner).delete(members_url(org, org.owner)), 409, "conflict")
        assert "at least one owner" in body["errors"][0]["message"]
        assert role_of(org, org.owner) == Role.OWNER

    def test_not_even_a_superuser_removes_the_last_owner(self, org, client_for, superuser):
        assert_error(client_for(superuser).delete(members_url(org, org.owner)), 409, "conflict")
        assert role_of(org, org.owner) == Role.OWNER
