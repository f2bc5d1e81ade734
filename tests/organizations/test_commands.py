"""Operator commands: create_organization, add_member, and the demo organization of seed_demo."""

import pytest
from django.core.management import CommandError, call_command

from organizations.models import Invitation, Membership, Organization, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestCreateOrganization:
    def test_creates_it_with_the_owner(self, capsys):
        owner = UserFactory(email="boss@example.com")
        call_command("create_organization", "--name", "Acme Corp", "--owner-email", "BOSS@example.com")
        organization = Organization.objects.get()
        assert (organization.name, organization.slug, organization.created_by) == ("Acme Corp", "acme-corp", owner)
        assert Membership.objects.get(organization=organization).role == Role.OWNER
        assert "acme-corp" in capsys.readouterr().out

    def test_explicit_slug(self):
        UserFactory(email="boss@example.com")
        call_command("create_organization", name="Acme", slug="hq", owner_email="boss@example.com")
        assert Organization.objects.get().slug == "hq"

    def test_unknown_owner(self):
        with pytest.raises(CommandError, match=r"No user has the email 'ghost@example\.com'"):
            call_command("create_organization", name="Acme", owner_email="ghost@example.com")
        assert not Organization.objects.exists()

    def test_taken_slug(self):
        UserFactory(email="boss@example.com")
        OrganizationFactory(slug="acme")
        with pytest.raises(CommandError, match="slug: This slug is already taken"):
            call_command("create_organization", name="Acme", slug="acme", owner_email="boss@example.com")

    def test_blank_name(self):
        UserFactory(email="boss@example.com")
        with pytest.raises(CommandError, match="--name"):
            call_command("create_organization", name="  ", owner_email="boss@example.com")

    def test_name_and_owner_are_required(self):
        with pytest.raises(CommandError, match="--owner-email"):
            call_command("create_organization", "--name", "Acme")


class TestAddMember:
    def test_adds_with_the_role(self, capsys):
        organization = OrganizationFactory(slug="acme")
        user = UserFactory(email="ana@example.com")
        call_command("add_member", organization="ACME", email="Ana@Example.com", role="admin")
        assert Membership.objects.get(organization=organization, user=user).role == Role.ADMIN
        assert "as admin" in capsys.readouterr().out

    def test_an_unverified_account_is_invited_instead(self, capsys):
        organization = OrganizationFactory(slug="acme")
        user = UserFactory(email="ana@example.com", unverified=True)
        call_command("add_member", organization="acme", email="ana@example.com", role="admin")
        assert not Membership.objects.filter(organization=organization, user=user).exists()
        assert Invitation.objects.get(organization=organization).email == "ana@example.com"
        assert "not verified: invited" in capsys.readouterr().out

    def test_unknown_organization(self):
        with pytest.raises(CommandError, match="No organization has the slug 'nope'"):
            call_command("add_member", organization="nope", email="a@example.com", role="member")

    def test_unknown_user(self):
        OrganizationFactory(slug="acme")
        with pytest.raises(CommandError, match="email: No user has this email address"):
            call_command("add_member", organization="acme", email="ghost@example.com", role="member")

    def test_already_a_member(self):
        membership = MembershipFactory(organization=OrganizationFactory(slug="acme"))
        with pytest.raises(CommandError, match="already a member"):
            call_command("add_member", organization="acme", email=membership.user.email, role="admin")
        membership.refresh_from_db()
        assert membership.role == Role.MEMBER

    def test_unknown_role(self):
        OrganizationFactory(slug="acme")
        with pytest.raises(CommandError, match="invalid choice: 'boss'"):
            call_command("add_member", "--organization", "acme", "--email", "a@example.com", "--role", "boss")

    def test_an_operator_may_add_an_owner(self):
        organization = OrganizationFactory(slug="acme")
        user = UserFactory()
        call_command("add_member", organization="acme", email=user.email, role="owner")
        assert Membership.objects.get(organization=organization, user=user).role == Role.OWNER


class TestSeedDemo:
    EXPECTED = {
        "owner@demo.example": Role.OWNER,
        "admin-user@demo.example": Role.ADMIN,
        "member@demo.example": Role.MEMBER,
        "viewer@demo.example": Role.VIEWER,
    }

    def roles(self):
        return dict(Membership.objects.filter(organization__slug="demo").values_list("user__email", "role").order_by())

    def test_creates_the_demo_organization_with_one_user_of_each_role(self, capsys):
        call_command("seed_demo")
        organization = Organization.objects.get(slug="demo")
        assert organization.name == "Demo Org"
        assert self.roles() == self.EXPECTED
        assert "Demo Org" in capsys.readouterr().out

    def test_is_idempotent_and_restores_the_roles(self):
        call_command("seed_demo")
        Membership.objects.filter(user__email="viewer@demo.example").update(role=Role.ADMIN)
        Membership.objects.filter(user__email="member@demo.example").delete()
        call_command("seed_demo")
        assert Organization.objects.filter(slug="demo").count() == 1
        assert self.roles() == self.EXPECTED
