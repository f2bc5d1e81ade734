"""After the grace period a deleted account is anonymised (beat, or ``manage.py anonymise_accounts``): the
person is erased, the user row stays so that their work keeps an author."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import EmailVerification, EmailVerificationPurpose, User
from accounts.signals import user_anonymised
from audit.models import AuditEvent
from notifications.models import Notification
from organizations.models import Membership, Organization, Role
from privacy import tasks
from privacy.models import DataExport
from sessions_app.models import UserSession
from tasks_app.services import comment_create, task_create
from tests.factories import (
    DEFAULT_PASSWORD,
    DataExportFactory,
    EmailVerificationFactory,
    InvitationFactory,
    MembershipFactory,
    NotificationFactory,
    OrganizationFactory,
    SocialIdentityFactory,
)
from tests.privacy.conftest import ME

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted(org, signed_in):
    """``org.member``, with work in ``org``, an organization of their own, a built export, a webhook, and a
    deletion requested through the API whose grace period is over."""
    person = org.member
    person.webhook_url = "https://hooks.example.com/me"
    person.webhook_secret = "s3cret"
    person.pending_email = "next-address@example.com"
    person.discord_user_id = "123456789012345678"
    person.save()
    EmailVerificationFactory(user=person, email=person.pending_email, purpose=EmailVerificationPurpose.CHANGE)
    task = task_create(organization=org.organization, created_by=person, title="Mine", assignee=org.admin)
    comment_create(task=task, author=person, body="My comment")
    NotificationFactory(recipient=person)
    export = DataExportFactory(user=person, built=True)
    own = OrganizationFactory(name="Solo")
    MembershipFactory(organization=own, user=person, role=Role.OWNER)
    invitation = InvitationFactory(organization=org.organization, email=person.email, accepted_by=person)
    invitation.accepted_at = timezone.now()
    invitation.save()
    client = signed_in(person)
    assert client.delete(ME, {"password": DEFAULT_PASSWORD}, format="json").status_code == 202
    User.objects.filter(pk=person.pk).update(deletion_scheduled_at=timezone.now() - timedelta(minutes=1))
    person.refresh_from_db()
    return {"user": person, "task": task, "own": own, "export": export, "invitation": invitation}


def anonymise():
    out = StringIO()
    call_command("anonymise_accounts", stdout=out)
    return out.getvalue()


def test_the_command_erases_the_person_and_keeps_the_row(deleted, org, client_for):
    person = deleted["user"]
    export_file = deleted["export"].file.name
    storage = deleted["export"].file.storage
    assert storage.exists(export_file)

    assert "Anonymised 1 accounts." in anonymise()

    person.refresh_from_db()
    assert person.email == f"deleted-{person.pk.hex}@invalid"
    assert person.username.startswith("deleted_")
    assert (person.full_name, person.webhook_url, person.webhook_secret) == ("", "", "")
    assert (person.pending_email, person.discord_user_id) == ("", "")
    assert not EmailVerification.objects.filter(user=person).exists()
    assert not person.has_usable_password()
    assert not person.notify_email
    assert not person.is_active
    assert person.anonymised_at is not None
    # Rows that were the person's alone are gone.
    assert not Notification.objects.filter(recipient=person).exists()
    assert not UserSession.objects.filter(user=person).exists()
    assert not DataExport.objects.filter(user=person).exists()
    assert not storage.exists(export_file)
    assert not Membership.objects.filter(user=person).exists()
    assert not Organization.objects.filter(pk=deleted["own"].pk).exists()
    deleted["invitation"].refresh_from_db()
    assert deleted["invitation"].email == person.email
    assert not AuditEvent.objects.filter(user=person, ip__isnull=False).exists()
    event = AuditEvent.objects.get(user=person, kind=AuditEvent.Kind.ACCOUNT_ANONYMISED)
    assert event.data == {"organizations_deleted": [str(deleted["own"].pk)], "organizations_kept": []}
    # Their work keeps its author, shown as the deleted user.
    reader = client_for(org.admin)
    task = reader.get(f"/api/v1/tasks/{deleted['task'].pk}").json()
    assert task["created_by"] == {"id": str(person.pk), "username": person.username, "full_name": ""}
    (comment,) = reader.get(f"/api/v1/tasks/{deleted['task'].pk}/comments").json()["data"]
    assert comment["author"]["username"] == person.username
    assert comment["body"] == "My comment"


def test_apps_that_keep_more_about_the_person_are_told(deleted):
    received = []

    def receiver(sender, user, previous_email, **kwargs):
        received.append((user.pk, user.email, previous_email))

    user_anonymised.connect(receiver)
    try:
        anonymise()
    finally:
        user_anonymised.disconnect(receiver)
    person = deleted["user"]
    assert received == [(person.pk, f"deleted-{person.pk.hex}@invalid", person.email)]


def test_the_beat_task_does_the_same_and_a_second_run_does_nothing(deleted):
    assert tasks.anonymise_deleted_accounts.delay().get() == 1
    assert tasks.anonymise_deleted_accounts.delay().get() == 0
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_ANONYMISED).count() == 1


def test_accounts_still_in_their_grace_period_or_reactivated_are_left(deleted, org, signed_in):
    person = deleted["user"]
    User.objects.filter(pk=person.pk).update(is_active=True)  # staff reactivated it in the admin
    waiting = org.viewer
    assert signed_in(waiting).delete(ME, {"password": DEFAULT_PASSWORD}, format="json").status_code == 202

    assert "Anonymised 0 accounts." in anonymise()

    for user in (person, waiting):
        user.refresh_from_db()
        assert user.anonymised_at is None
        assert "@example.com" in user.email


def test_dry_run_lists_and_changes_nothing(deleted):
    out = StringIO()
    call_command("anonymise_accounts", "--dry-run", stdout=out)
    assert str(deleted["user"].pk) in out.getvalue()
    assert "1 accounts due" in out.getvalue()
    deleted["user"].refresh_from_db()
    assert deleted["user"].anonymised_at is None


def test_an_organization_that_got_members_meanwhile_keeps_the_deleted_owner(deleted):
    """Staff added a member to the person's own organization during the grace period: it is not deleted, and
    keeps its (anonymised) owner so that it always has one, until staff make another member owner."""
    newcomer = MembershipFactory(organization=deleted["own"], role=Role.MEMBER)
    out, err = StringIO(), StringIO()

    call_command("anonymise_accounts", stdout=out, stderr=err)

    own = deleted["own"]
    assert Organization.objects.filter(pk=own.pk).exists()
    assert Membership.objects.filter(organization=own, user=deleted["user"], role=Role.OWNER).exists()
    assert Membership.objects.filter(pk=newcomer.pk).exists()
    assert str(own.pk) in err.getvalue()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_ANONYMISED)
    assert event.data["organizations_kept"] == [str(own.pk)]


def test_anonymising_erases_the_second_factor(org, signed_in, enrol):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mfa.models import RecoveryCode

    person = enrol(org.member).user
    User.objects.filter(pk=person.pk).update(
        is_active=False, deletion_scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    anonymise()
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not RecoveryCode.objects.filter(user=person).exists()


def test_anonymising_erases_linked_identities(org):
    from sso.models import SocialIdentity

    person = org.member
    SocialIdentityFactory(user=person)
    User.objects.filter(pk=person.pk).update(
        is_active=False, deletion_scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    anonymise()
    assert not SocialIdentity.objects.filter(user=person).exists()
