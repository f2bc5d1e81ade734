"""Member imports: existing users join, other addresses are invited, owners are never imported."""

import pytest
from django.core import mail

from organizations.models import Invitation, Membership, Role
from tests.factories import UserFactory
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def role_of(org, user):
    return Membership.objects.get(organization=org.organization, user=user).role


def test_existing_users_become_members_and_others_are_invited(imported, org):
    alice, bob = UserFactory(email="alice@example.com"), UserFactory(email="bob@example.com")
    content = csv_bytes(
        "email,role",
        "alice@example.com,admin",
        "BOB@Example.com,",
        "carol@example.com,viewer",
        "dave@example.com,member",
    )
    mail.outbox.clear()
    job = imported(content, kind="members")
    assert (job.state, job.total, job.created, job.failed, job.skipped) == ("succeeded", 4, 4, 0, 0)
    assert role_of(org, alice) == Role.ADMIN
    assert role_of(org, bob) == Role.MEMBER  # blank role: member
    invitations = {i.email: i for i in Invitation.objects.filter(organization=org.organization)}
    assert set(invitations) == {"carol@example.com", "dave@example.com"}
    assert invitations["carol@example.com"].role == Role.VIEWER
    assert invitations["carol@example.com"].invited_by_id == org.admin.pk
    # The invitation emails went out once the batch committed.
    invited = [message for message in mail.outbox if "/invitations/" in message.body]
    assert sorted(address for message in invited for address in message.to) == [
        "carol@example.com",
        "dave@example.com",
    ]
    assert job.summary == {"members_added": 2, "invited": 2}


def test_members_and_pending_invitations_are_skipped_with_a_warning(imported, org):
    content = csv_bytes(
        "email,role",
        f"{org.viewer.email},admin",
        "erin@example.com,member",
        "erin@example.com,viewer",
    )
    first = imported(content, kind="members")
    assert (first.created, first.skipped, first.failed) == (1, 2, 0)
    assert role_of(org, org.viewer) == Role.VIEWER  # an import never changes an existing member's role
    assert first.warnings == [
        f"Line 2: {org.viewer.email} is already a member; skipped.",
        "Line 4: erin@example.com appears earlier in the file; skipped.",
    ]
    again = imported(content, kind="members", mode="all_or_nothing")
    assert (again.state, again.created, again.skipped, again.failed) == ("succeeded", 0, 3, 0)
    assert "erin@example.com already has a pending invitation; skipped." in again.warnings[1]
    assert Invitation.objects.filter(email="erin@example.com").count() == 1


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (",member", "email", "required"),
        ("not-an-email,member", "email", "invalid_email"),
        ("a@@example.com,member", "email", "invalid_email"),
        ("frank@example.com,boss", "role", "invalid_choice"),
        ("frank@example.com,owner", "role", "role_not_importable"),
        ("frank@example.com,member,extra", "", "too_many_cells"),
    ],
)
def test_invalid_member_rows_are_rejected(imported, row, column, code):
    job = imported(csv_bytes("email,role", "gina@example.com,viewer", row), kind="members")
    assert (job.state, job.created, job.failed) == ("succeeded", 1, 1)
    error = job.row_errors.get()
    assert (error.line, error.column, error.code) == (3, column, code)


def test_owners_cannot_be_imported_even_by_an_owner(imported, org):
    UserFactory(email="heidi@example.com")
    job = imported(csv_bytes("email,role", "heidi@example.com,Owner"), kind="members", caller="owner")
    assert job.failed == 1
    assert job.row_errors.get().code == "role_not_importable"
    assert not Membership.objects.filter(user__email="heidi@example.com").exists()


def test_all_or_nothing_member_import_with_an_invalid_row_adds_nobody(imported, org):
    UserFactory(email="ivan@example.com")
    job = imported(
        csv_bytes("email,role", "ivan@example.com,admin", "judy@example.com,member", "broken,member"),
        kind="members",
        mode="all_or_nothing",
    )
    assert (job.state, job.created, job.failed) == ("failed", 0, 1)
    assert not Membership.objects.filter(user__email="ivan@example.com").exists()
    assert not Invitation.objects.filter(email="judy@example.com").exists()


def test_a_member_import_needs_the_email_column(imported):
    job = imported(csv_bytes("mail,role", "a@example.com,member"), kind="members")
    assert job.state == "failed"
    assert job.row_errors.get().column == "email"
