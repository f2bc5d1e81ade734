"""Writes of the privacy app: deleting one's account and exporting one's data.

Deleting is two steps. ``account_deletion_request`` (DELETE /users/me) deactivates the account at once,
which ends every session, and schedules its anonymisation ``ACCOUNT_DELETION_GRACE_DAYS`` later;
``account_anonymise`` (beat, or ``manage.py anonymise_accounts``) then erases the person while the user row
stays, so that the tasks and comments they wrote keep an author, shown as ``deleted_...``. Until then
staff can cancel the deletion in the admin (``account_deletion_cancel``).

An export is a job row (``config.jobs``) built by a worker into a JSON file that only its owner
downloads, and that is deleted ``DATA_EXPORT_EXPIRY_HOURS`` after it was built.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_deactivate
from accounts.signals import user_anonymised
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Conflict, StorageUnavailable
from config.jobs import job_claim, job_finish, job_release
from config.retention import DEFAULT_BATCH_SIZE, delete_files_in_batches, delete_in_batches
from notifications.models import Notification
from organizations.models import Invitation, Membership, Role
from organizations.services import organization_delete
from privacy import selectors
from privacy.models import DataExport, DataExportState
from sessions_app.models import UserSession

logger = logging.getLogger(__name__)


# --- Deleting an account -------------------------------------------------------------------


class LastOwner(Conflict):
    default_code = "last_owner"
    default_message = (
        "You are the last owner of organizations that have other members: make another member owner "
        "of each (or remove the other members) first."
    )


def _organization_refs(organizations) -> list[dict]:
    return [{"id": str(o.pk), "name": o.name, "slug": o.slug} for o in organizations]


@transaction.atomic
def account_deletion_request(*, user: User, request=None) -> User:
    """Deactivate the account now (its sessions end) and schedule its anonymisation.

    Refused with 409 ``last_owner``, naming the organizations, while the person is the last owner of an
    organization that has other members. Organizations where they are the only member do not block:
    they are deleted with the account when it is anonymised. The caller proved who they are (password
    or a recent re-authentication) before calling this.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    # Lock the owners of the person's organizations, so that another owner cannot step down meanwhile
    # (the same lock as organizations.services.organization_owner_require).
    owned = Membership.objects.filter(user=user, role=Role.OWNER).values("organization_id")
    list(Membership.objects.select_for_update().filter(organization_id__in=owned, role=Role.OWNER).values("pk"))
    blocking = list(selectors.organizations_to_hand_over(user=user))
    if blocking:
        raise LastOwner(extra={"organizations": _organization_refs(blocking)})
    user.deletion_scheduled_at = timezone.now() + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
    user.save(update_fields=["deletion_scheduled_at"])
    user_deactivate(user=user, request=request)
    audit_record(
        kind=AuditEvent.Kind.ACCOUNT_DELETION_REQUESTED,
        request=request,
        user=user,
        data={"anonymise_at": user.deletion_scheduled_at.isoformat()},
    )
    return user


@transaction.atomic
def account_deletion_cancel(*, user: User) -> bool:
    """Staff: cancel a deletion not yet carried out; the account is active again (its owner signs in anew).

    False when there is nothing to cancel (no deletion pending, or already anonymised).
    """
    updated = User.objects.filter(pk=user.pk, deletion_scheduled_at__isnull=False, anonymised_at__isnull=True).update(
        deletion_scheduled_at=None, is_active=True
    )
    return bool(updated)


@dataclass
class Anonymised:
    user_id: str
    organizations_deleted: list[str] = field(default_factory=list)
    # Organizations of which the person was still the last owner, with other members (possible only if
    # staff added members meanwhile): the membership is kept so that the organization keeps an owner,
    # shown as the deleted user, until staff make another member owner.
    organizations_kept: list[str] = field(default_factory=list)


def _erase_personal_rows(user: User, *, kept: list) -> None:
    """Rows that are the person's alone: their memberships (where the organization keeps another owner),
    notifications, sessions, exports; their address on invitations they accepted; where they signed in
    from in the security log (the events themselves stay, as the record of what happened)."""
    Membership.objects.filter(user=user).exclude(organization_id__in=kept).delete()
    Notification.objects.filter(recipient=user).delete()
    UserSession.objects.filter(user=user).delete()
    for export in DataExport.objects.filter(user=user):
        _data_export_delete(export)
    Invitation.objects.filter(accepted_by=user).update(email=user.email)
    AuditEvent.objects.filter(user=user).update(ip=None, user_agent="", identifier="")


def _scrub_profile(user: User, *, now) -> None:
    user.email = f"deleted-{user.pk.hex}@invalid"
    user.username = f"deleted_{user.pk.hex[:22]}"
    user.full_name = ""
    user.set_unusable_password()
    user.email_verified_at = None
    user.pending_email = ""
    user.discord_user_id = ""
    user.webhook_url = ""
    user.webhook_secret = ""
    user.notify_email = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.anonymised_at = now
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    user.email_verifications.all().delete()


@transaction.atomic
def account_anonymise(*, user_id, actor: User | None = None, request=None) -> Anonymised | None:
    """Erase a deleted account's person; None when it is not (or no longer) to be anonymised.

    The user row stays, renamed ``deleted_<id>`` with an ``@invalid`` address, no password and no way
    to be reached; organizations where they were the only member are deleted; ``accounts.signals.
    user_anonymised`` lets the apps that keep more about the person (sign-in identities, second
    factors) erase it in the same transaction. Safe to run twice.
    """
    now = timezone.now()
    user = User.objects.select_for_update().filter(pk=user_id, anonymised_at__isnull=True, is_active=False).first()
    if user is None or user.deletion_scheduled_at is None:
        return None
    result = Anonymised(user_id=str(user.pk))
    kept = list(selectors.organizations_to_hand_over(user=user))
    result.organizations_kept = [str(o.pk) for o in kept]
    for organization in selectors.organizations_alone_in(user=user):
        result.organizations_deleted.append(str(organization.pk))
        organization_delete(organization=organization)
    previous_email = user.email
    _scrub_profile(user, now=now)
    _erase_personal_rows(user, kept=result.organizations_kept)
    user_anonymised.send(sender=User, user=user, previous_email=previous_email)
    audit_record(
        kind=AuditEvent.Kind.ACCOUNT_ANONYMISED,
        request=request,
        user=user,
        actor=actor,
        data={"organizations_deleted": result.organizations_deleted, "organizations_kept": result.organizations_kept},
    )
    if kept:
        logger.warning("Anonymised user %s was still the last owner of %s; make another member owner", user.pk, kept)
    return result


def accounts_anonymise_due(*, now=None, limit: int = 500) -> list[Anonymised]:
    """Anonymise the deleted accounts past their grace period, each in its own transaction."""
    due = list(selectors.accounts_due_for_anonymisation(now=now).values_list("pk", flat=True)[:limit])
    return [result for pk in due if (result := account_anonymise(user_id=pk)) is not None]


# --- Exporting one's data ------------------------------------------------------------------


@transaction.atomic
def data_export_request(*, user: User, request=None) -> tuple[DataExport, bool]:
    """Start an export of the person's data, or answer the one already waiting for a worker.

    Returns the export and whether it is new. The worker builds it once this transaction commits.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per person
    in_flight = selectors.data_export_in_flight(user=user)
    if in_flight is not None:
        return in_flight, False
    export = DataExport.objects.create(user=user)
    audit_record(
        kind=AuditEvent.Kind.DATA_EXPORT_REQUESTED, request=request, user=user, data={"export_id": str(export.pk)}
    )
    DataExport.job_enqueue(export.pk)
    return export, True


def data_export_build(*, export_id) -> DataExport | None:
    """Build an export's file. Safe to run twice: only a pending export (or one whose worker was lost) is
    built. Any failure ends it failed with a short reason (details in the log), so a client polling it
    always sees an end state; but a file store that cannot be reached leaves it to be built again."""
    export = job_claim(
        DataExport, export_id, queryset=DataExport.objects.select_related("user"), extra={"last_error": ""}
    )
    if export is None:
        return None
    try:
        content = selectors.personal_data_collect(user=export.user)
        body = json.dumps(content, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode("utf-8")
        export.file.save(f"{export.pk}.json", ContentFile(body), save=False)
    except StorageUnavailable as exc:
        # The store is down, not the export broken: built again by the next claim or the sweep (job_release).
        logger.error("Data export %s could not be stored; it will be built again: %s", export_id, exc)
        job_release(export, error=exc)
        return export
    except Exception:
        logger.exception("Data export %s failed", export_id)
        now = timezone.now()
        job_finish(
            export,
            DataExportState.FAILED,
            last_error="The export could not be built.",
            finished_at=now,
            expires_at=_expiry(now),
        )
        return export
    now = timezone.now()
    if not job_finish(
        export, DataExportState.SUCCEEDED, file=export.file.name, finished_at=now, expires_at=_expiry(now)
    ):
        export.file.delete(save=False)  # another run took the job over meanwhile; its file is the one kept
    return export


def _expiry(now):
    return now + timedelta(hours=settings.DATA_EXPORT_EXPIRY_HOURS)


def _data_export_delete(export: DataExport) -> None:
    if export.file:
        export.file.delete(save=False)
    export.delete()


def data_exports_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete the exports past ``expires_at`` (``DATA_EXPORT_EXPIRY_HOURS``
    after they were built), file and row, in batches; returns how many."""
    expired = selectors.data_exports_expired(now=now)
    if not dry_run:
        delete_files_in_batches(expired, batch_size=batch_size, dry_run=False)
    return delete_in_batches(expired, batch_size=batch_size, dry_run=dry_run)
