"""Staff in the Django admin: organizations with their members inline, memberships, invitations."""

import pytest
from django.core import mail

from organizations.models import Invitation, Membership, Organization, Role
from tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def inline_data(org, roles=None, delete=()):
    """The organization change form as the browser posts it, with roles changed or rows deleted."""
    memberships = list(Membership.objects.filter(organization_id=org.id).order_by("created_at"))
    data = {
        "name": org.organization.name,
        "slug": org.organization.slug,
        "memberships-TOTAL_FORMS": len(memberships),
        "memberships-INITIAL_FORMS": len(memberships),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    for index, membership in enumerate(memberships):
        data |= {
            f"memberships-{index}-id": membership.pk,
            f"memberships-{index}-organization": org.id,
            f"memberships-{index}-user": membership.user_id,
            f"memberships-{index}-role": (roles or {}).get(membership.user_id, membership.role),
        }
        if membership.user_id in delete:
            data[f"memberships-{index}-DELETE"] = "on"
    return data


@pytest.mark.parametrize(
    "url",
    [
        "/admin/organizations/organization/",
        "/admin/organizations/organization/?q=Acme",
        "/admin/organizations/membership/",
        "/admin/organizations/membership/?role__exact=40",
        "/admin/organizations/invitation/",
        "/admin/organizations/invitation/?status=expired",
        "/admin/organizations/invitation/?status=pending&role__exact=20",
        "/admin/organizations/organization/add/",
    ],
)
def test_pages_load(org, staff, url):
    InvitationFactory(organization=org.organization, invited_by=org.admin)
    assert staff.get(url).status_code == 200


def test_membership_filter_by_role(org, staff):
    response = staff.get("/admin/organizations/membership/?role__exact=30")
    assert org.admin.email in response.content.decode()
    assert org.viewer.email not in response.content.decode()


def test_organization_page_shows_its_members_inline(org, staff):
    response = staff.get(f"/admin/organizations/organization/{org.id}/change/")
    assert response.status_code == 200
    assert org.viewer.email in response.content.decode() or str(org.viewer.pk) in response.content.decode()


def test_inline_role_changes_are_saved(org, staff):
    response = staff.post(
        f"/admin/organizations/organization/{org.id}/change/", inline_data(org, roles={org.viewer.pk: Role.MEMBER})
    )
    assert response.status_code == 302
    assert Membership.objects.get(organization_id=org.id, user=org.viewer).role == Role.MEMBER


@pytest.mark.parametrize("change", ["demote", "delete"])
def test_inline_keeps_the_last_owner(org, staff, change):
    data = (
        inline_data(org, roles={org.owner.pk: Role.ADMIN})
        if change == "demote"
        else inline_data(org, delete={org.owner.pk})
    )
    response = staff.post(f"/admin/organizations/organization/{org.id}/change/", data)
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.get(organization_id=org.id, user=org.owner).role == Role.OWNER


def test_membership_form_refuses_to_demote_the_last_owner(org, staff):
    membership = Membership.objects.get(organization_id=org.id, user=org.owner)
    response = staff.post(
        f"/admin/organizations/membership/{membership.pk}/change/",
        {"organization": org.id, "user": org.owner.pk, "role": Role.ADMIN},
    )
    assert response.status_code == 200
    assert "last owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_remove_action_keeps_the_last_owner(org, staff):
    ids = list(
        Membership.objects.filter(organization_id=org.id, user__in=[org.owner, org.viewer]).values_list("pk", flat=True)
    )
    response = staff.post(
        "/admin/organizations/membership/", {"action": "remove_members", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert set(Membership.objects.filter(organization_id=org.id).values_list("user_id", flat=True)) == {
        org.owner.pk,
        org.admin.pk,
        org.member.pk,
    }


def test_the_last_owner_has_no_delete_button(org, staff):
    owner = Membership.objects.get(organization_id=org.id, user=org.owner)
    assert staff.get(f"/admin/organizations/membership/{owner.pk}/delete/").status_code == 403
    second = MembershipFactory(organization=org.organization, role=Role.OWNER)
    assert staff.get(f"/admin/organizations/membership/{second.pk}/delete/").status_code == 200


def test_resend_action_emails_a_new_link(org, staff, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(organization=org.organization, invited_by=org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/organizations/invitation/",
            {"action": "resend_invitations", "_selected_action": [invitation.pk]},
            follow=True,
        )
    assert "Resent 1" in response.content.decode()
    assert len(mail.outbox) == 1
    assert Invitation.objects.get(pk=invitation.pk).token_hash != invitation.token_hash


def test_revoke_action(org, staff):
    pending = InvitationFactory(organization=org.organization)
    accepted = InvitationFactory(organization=org.organization, accepted_at=pending.created_at)
    response = staff.post(
        "/admin/organizations/invitation/",
        {"action": "revoke_invitations", "_selected_action": [pending.pk, accepted.pk]},
        follow=True,
    )
    content = response.content.decode()
    assert "Revoked 1" in content
    assert "has been accepted" in content
    assert Invitation.objects.get(pk=pending.pk).revoked_at is not None
    assert Invitation.objects.get(pk=accepted.pk).revoked_at is None


def test_invitations_are_not_added_in_the_admin(staff):
    assert staff.get("/admin/organizations/invitation/add/").status_code == 403


def test_adding_an_organization_sets_its_creator_and_needs_an_owner(staff, superuser, user):
    data = {
        "name": "Fresh",
        "slug": "fresh",
        "memberships-TOTAL_FORMS": 1,
        "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "memberships-0-user": user.pk,
        "memberships-0-role": Role.MEMBER,
    }
    response = staff.post("/admin/organizations/organization/add/", data)
    assert response.status_code == 200
    assert not Organization.objects.filter(slug="fresh").exists()
    data["memberships-0-role"] = Role.OWNER
    assert staff.post("/admin/organizations/organization/add/", data).status_code == 302
    organization = Organization.objects.get(slug="fresh")
    assert organization.created_by == superuser
    assert Membership.objects.get(organization=organization).user == user
