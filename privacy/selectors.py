"""Reads of the privacy app: what blocks a deletion, the exports, and one person's data for their export."""

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from notifications.models import Notification
from organizations.models import Membership, Organization, Role
from privacy.models import DataExport, DataExportState
from sessions_app.models import UserSession
from tasks_app.models import Comment, Priority, Status, Task

EXPORT_FORMAT_VERSION = 1


# --- Deletion ------------------------------------------------------------------------------


def organizations_to_hand_over(*, user: User) -> QuerySet[Organization]:
    """Organizations of which ``user`` is the last owner while others are members: they must make
    another member owner (or leave it to them) before the account can be deleted."""
    others = Membership.objects.filter(organization=OuterRef("pk")).exclude(user=user)
    return (
        Organization.objects.filter(memberships__user=user, memberships__role=Role.OWNER)
        .filter(Exists(others))
        .exclude(Exists(others.filter(role=Role.OWNER)))
        .order_by("name", "pk")
    )


def organizations_alone_in(*, user: User) -> QuerySet[Organization]:
    """Organizations whose only member is ``user``: they hold nobody else's work, and go with the account."""
    others = Membership.objects.filter(organization=OuterRef("pk")).exclude(user=user)
    return Organization.objects.filter(memberships__user=user).exclude(Exists(others)).order_by("name", "pk")


def accounts_due_for_anonymisation(*, now=None) -> QuerySet[User]:
    """Deleted accounts past their grace period. An account reactivated meanwhile (the deletion was
    cancelled in the admin) is not due, whatever its ``deletion_scheduled_at``."""
    return User.objects.filter(
        deletion_scheduled_at__lte=now or timezone.now(), anonymised_at__isnull=True, is_active=False
    ).order_by("deletion_scheduled_at", "pk")


# --- Exports -------------------------------------------------------------------------------


def data_export_latest(*, user: User, now=None) -> DataExport | None:
    """The person's most recent export that has not expired, whatever its state."""
    return (
        DataExport.objects.filter(user=user)
        .exclude(expires_at__lte=now or timezone.now())
        .order_by("-created_at", "-id")
        .first()
    )


def data_export_in_flight(*, user: User) -> DataExport | None:
    """An export of the person still waiting for or held by a worker."""
    return (
        DataExport.objects.filter(user=user, state__in=[DataExportState.PENDING, DataExportState.RUNNING])
        .order_by("-created_at", "-id")
        .first()
    )


def data_exports_expired(*, now=None) -> QuerySet[DataExport]:
    return DataExport.objects.filter(expires_at__lte=now or timezone.now())


# --- One person's data ---------------------------------------------------------------------


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username}


def _task(task: Task) -> dict:
    return {
        "id": task.pk,
        "organization_id": task.organization_id,
        "title": task.title,
        "description": task.description,
        "status": Status(task.status).label,
        "priority": Priority(task.priority).label,
        "created_by": _person(task.created_by),
        "assignee": _person(task.assignee),
        "due_date": task.due_date,
        "completed_at": task.completed_at,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def personal_data_collect(*, user: User) -> dict:
    """Everything the project keeps about ``user``, as JSON-ready data (dates and UUIDs for
    ``DjangoJSONEncoder``): profile, memberships, the tasks they created or are assigned and their
    comments (in the organizations they are still a member of: what they can read anyway), their
    notifications, their sessions (never a token) and their security events.

    Secrets stay out: no password hash, no webhook secret, no refresh token id.
    """
    organization_ids = list(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    tasks = Task.objects.filter(organization_id__in=organization_ids).select_related("created_by", "assignee")
    return {
        "format": "workspace-personal-data",
        "version": EXPORT_FORMAT_VERSION,
        "generated_at": timezone.now(),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "email_verified_at": user.email_verified_at,
            "username": user.username,
            "full_name": user.full_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "notify_email": user.notify_email,
            "webhook_url": user.webhook_url,
            "discord_user_id": user.discord_user_id,
            "has_password": user.has_usable_password(),
        },
        "memberships": [
            {
                "organization": {"id": m.organization_id, "name": m.organization.name, "slug": m.organization.slug},
                "role": Role(m.role).label,
                "joined_at": m.created_at,
            }
            for m in Membership.objects.filter(user=user).select_related("organization").order_by("created_at")
        ],
        "tasks_created": [_task(task) for task in tasks.filter(created_by=user).order_by("created_at", "id")],
        "tasks_assigned": [_task(task) for task in tasks.filter(assignee=user).order_by("created_at", "id")],
        "comments": [
            {
                "id": comment.pk,
                "task_id": comment.task_id,
                "organization_id": comment.task.organization_id,
                "body": comment.body,
                "created_at": comment.created_at,
            }
            for comment in Comment.objects.filter(
                author=user, task__organization_id__in=organization_ids, task__deleted_at__isnull=True
            )
            .select_related("task")
            .order_by("created_at", "id")
        ],
        "notifications": [
            {
                "id": n.pk,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in Notification.objects.filter(recipient=user).order_by("created_at", "id")
        ],
        "sessions": list(
            UserSession.objects.filter(user=user)
            .order_by("created_at", "id")
            .values(
                "id",
                "device_name",
                "user_agent",
                "ip",
                "sign_in_method",
                "created_at",
                "authenticated_at",
                "last_seen_at",
                "expires_at",
                "revoked_at",
                "revoked_reason",
            )
        ),
        "security_events": list(
            AuditEvent.objects.filter(user=user)
            .order_by("created_at", "id")
            .values("kind", "created_at", "ip", "user_agent", "session_id", "data")
        ),
    }
