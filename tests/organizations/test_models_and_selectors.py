"""The rules the database keeps by itself, the role order, and the reads other apps rely on."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations import selectors
from organizations.models import Invitation, InvitationStatus, Membership, Role, hash_token, role_can_manage
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory


class TestRole:
    def test_roles_are_ordered_and_stored_as_numbers(self):
        assert Role.VIEWER < Role.MEMBER < Role.ADMIN < Role.OWNER
        assert [int(r) for r in Role] == [10, 20, 30, 40]
        assert Role.labels == ["viewer", "member", "admin", "owner"]

    def test_from_label(self):
        assert Role.from_label("admin") is Role.ADMIN
        with pytest.raises(ValueError, match="Unknown role"):
            Role.from_label("boss")

    @pytest.mark.parametrize(
        ("actor", "target", "expected"),
        [
            (Role.OWNER, Role.OWNER, True),
            (Role.OWNER, Role.VIEWER, True),
            (Role.ADMIN, Role.ADMIN, True),
            (Role.ADMIN, Role.OWNER, False),
            (Role.MEMBER, Role.VIEWER, False),
            (None, Role.VIEWER, False),
        ],
    )
    def test_who_manages_whom(self, actor, target, expected):
        assert role_can_manage(actor, target) is expected


@pytest.mark.django_db
class TestConstraints:
    def test_one_membership_per_user_and_organization(self):
        membership = MembershipFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            MembershipFactory(organization=membership.organization, user=membership.user, role=Role.ADMIN)

    def test_role_must_be_a_known_number(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            MembershipFactory(role=25)

    def test_one_pending_invitation_per_email_whatever_its_case(self):
        invitation = InvitationFactory(email="dup@example.com")
        with pytest.raises(IntegrityError), transaction.atomic():
            InvitationFactory(organization=invitation.organization, email="DUP@example.com")

    def test_closed_invitations_do_not_block_a_new_one(self):
        organization = OrganizationFactory()
        InvitationFactory(organization=organization, email="a@example.com", revoked_at=timezone.now())
        InvitationFactory(organization=organization, email="a@example.com", accepted_at=timezone.now())
        InvitationFactory(organization=organization, email="a@example.com")
        assert Invitation.objects.filter(email="a@example.com").count() == 3

    def test_slug_is_unique(self):
        OrganizationFactory(slug="same")
        with pytest.raises(IntegrityError), transaction.atomic():
            OrganizationFactory(slug="same")

    def test_token_hash_is_sha256(self):
        assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    def test_status(self):
        now = timezone.now()
        assert InvitationFactory().status == InvitationStatus.PENDING
        assert InvitationFactory(expires_at=now - timedelta(seconds=1)).status == InvitationStatus.EXPIRED
        assert InvitationFactory(revoked_at=now).status == InvitationStatus.REVOKED
        assert InvitationFactory(accepted_at=now).status == InvitationStatus.ACCEPTED


@pytest.mark.django_db
class TestSelectors:
    def test_users_share_organization(self, org, other_org, superuser):
        assert selectors.users_share_organization(org.viewer, org.owner) is True
        assert selectors.users_share_organization(org.viewer, other_org.owner) is False
        assert selectors.users_share_organization(org.viewer, org.viewer) is True  # one's own profile
        assert selectors.users_share_organization(superuser, other_org.viewer) is True
        assert selectors.users_share_organization(AnonymousUser(), org.owner) is False
        MembershipFactory(organization=other_org.organization, user=org.viewer, role=Role.VIEWER)
        assert selectors.users_share_organization(org.viewer, other_org.owner) is True

    def test_users_share_organization_costs_one_query(self, org, django_assert_num_queries):
        with django_assert_num_queries(1):
            selectors.users_share_organization(org.viewer, org.owner)

    def test_membership_for(self, org, other_org):
        membership = selectors.membership_get(user=org.admin, organization_id=org.id)
        assert (membership.role, membership.organization.name) == (Role.ADMIN, "Acme")
        assert selectors.membership_get(user=org.admin, organization_id=other_org.id) is None
        assert selectors.membership_get(user=org.admin, organization_id=str(org.id)).role == Role.ADMIN
        assert selectors.membership_get(user=org.admin, organization_id="not-a-uuid") is None
        assert selectors.membership_get(user=AnonymousUser(), organization_id=org.id) is None

    def test_organization_access(self, org, other_org, superuser):
        access = selectors.organization_access_get(user=org.member, organization_id=org.id)
        assert (access.organization.pk, access.role, access.membership.user) == (org.id, Role.MEMBER, org.member)
        assert selectors.organization_access_get(user=org.member, organization_id=other_org.id) is None
        as_superuser = selectors.organization_access_get(user=superuser, organization_id=other_org.id)
        assert (as_superuser.role, as_superuser.membership) == (Role.OWNER, None)
        assert (
            selectors.organization_access_get(user=superuser, organization_id="00000000-0000-0000-0000-000000000000")
            is None
        )

    def test_organization_get_by_slug_ignores_case(self):
        organization = OrganizationFactory(slug="acme")
        assert selectors.organization_get_by_slug(slug="ACME") == organization
        assert selectors.organization_get_by_slug(slug="nope") is None

    def test_deleting_a_user_removes_their_memberships(self, org):
        org.viewer.delete()
        assert Membership.objects.filter(organization_id=org.id).count() == 3

    def test_invitation_get_by_token(self):
        invitation = InvitationFactory()
        assert selectors.invitation_get_by_token(token=invitation.token) == invitation
        assert selectors.invitation_get_by_token(token="other") is None

    def test_member_lookups_used_for_assignees_and_mentions(self, org, other_org, django_assert_num_queries):
        assert set(selectors.organization_member_list(organization_id=org.id)) == set(org.users.values())
        candidates = [org.viewer.pk, other_org.viewer.pk]
        with django_assert_num_queries(1):
            assert selectors.organization_member_ids_among(organization_id=org.id, user_ids=candidates) == {
                str(org.viewer.pk)
            }
        assert selectors.organization_member_ids_among(organization_id=org.id, user_ids=[]) == set()
        handles = [org.admin.username.upper(), other_org.admin.username, "nobody"]
        with django_assert_num_queries(1):
            assert selectors.organization_member_list_by_username(organization_id=org.id, usernames=handles) == [
                org.admin
            ]
        assert selectors.organization_member_list_by_username(organization_id=org.id, usernames=[]) == []
