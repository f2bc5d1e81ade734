"""What happens in an organization, told to whoever keeps account of it: the organization's audit log
and its webhooks (and anything else that receives ``organization_changed``).

A service that changes something in an organization calls ``organization_change(...)`` inside the
transaction of the change, so a receiver's rows (an audit record, an outbox row per webhook) commit
or roll back with it. ``Action`` names what happened; the first ones are the events webhooks
subscribe to.
"""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import models
from django.dispatch import Signal
from django.utils import timezone

# Sent with ``change`` (an ``OrganizationChange``) inside the transaction of the change.
organization_changed = Signal()
# Sent with ``changes`` (a list of ``OrganizationChange``, each as ``organization_changed`` would carry it)
# when one request changes many rows at once (``POST /tasks/bulk``): a receiver writes its rows for all of
# them in a fixed number of queries. Whatever receives ``organization_changed`` receives this one too.
organization_changed_many = Signal()


class Action(models.TextChoices):
    TASK_CREATED = "task.created", "Task created"
    TASK_UPDATED = "task.updated", "Task updated"
    TASK_DELETED = "task.deleted", "Task deleted"
    COMMENT_CREATED = "comment.created", "Comment created"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_REMOVED = "member.removed", "Member removed"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member's role changed"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    IMPORT_FINISHED = "import.finished", "Import finished"
    REPORT_EXPORT_READY = "report.export_ready", "Report export ready"
    # Audit log (issue 14): the other changes the organization's audit log records.
    ORGANIZATION_CREATED = "organization.created", "Organization created"
    ORGANIZATION_UPDATED = "organization.updated", "Organization settings changed"
    INVITATION_CREATED = "invitation.created", "Invitation sent"
    INVITATION_RESENT = "invitation.resent", "Invitation sent again"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    IMPORT_STARTED = "import.started", "Import started"
    REPORT_EXPORT_REQUESTED = "report.export_requested", "Report export requested"
    REPORT_SETTINGS_UPDATED = "report_settings.updated", "Report settings changed"
    TOKEN_CREATED = "token.created", "Personal access token created for the organization"
    TOKEN_REVOKED = "token.revoked", "Personal access token reaching the organization revoked"
    OAUTH_GRANT_CREATED = "oauth_grant.created", "Application authorized in the organization"
    OAUTH_GRANT_REVOKED = "oauth_grant.revoked", "Application's authorization in the organization revoked"
    # Soft deletes (issue 14, trash): what goes to the trash and comes back, and what is purged for good.
    TASK_RESTORED = "task.restored", "Task restored"
    COMMENT_DELETED = "comment.deleted", "Comment deleted"
    COMMENT_RESTORED = "comment.restored", "Comment restored"
    # Issue 15: a comment's author edits it (its body, and so its mentions).
    COMMENT_UPDATED = "comment.updated", "Comment edited"
    ORGANIZATION_DELETED = "organization.deleted", "Organization deleted"
    ORGANIZATION_RESTORED = "organization.restored", "Organization restored"
    ORGANIZATION_PURGED = "organization.purged", "Organization purged"
    # Organization webhooks (issue 14, org_webhooks): recorded by the audit log, never sent to webhooks;
    # their before/after never hold a secret.
    WEBHOOK_CREATED = "webhook.created", "Webhook created"
    WEBHOOK_UPDATED = "webhook.updated", "Webhook updated"
    WEBHOOK_DELETED = "webhook.deleted", "Webhook deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated", "Webhook secret rotated"


@dataclass(frozen=True)
class OrganizationChange:
    """One thing that happened in an organization.

    ``target`` is the row it concerns (a task, a comment, a membership, an import job, an export), as
    it is after the change (a deleted row keeps its values in memory). ``before`` and ``after`` hold
    the changed values as JSON (for an update, only the fields that changed). ``id`` is stable: a
    receiver that hands the change on (a webhook) sends it, so the other side can drop a repeat.
    """

    organization_id: uuid.UUID
    action: str
    actor: object | None  # the person who did it; None when no one did (a worker on its own)
    target: models.Model | None = None
    before: dict | None = None
    after: dict | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def target_type(self) -> str:
        return self.target._meta.model_name if self.target is not None else ""

    @property
    def target_id(self) -> str:
        return str(self.target.pk) if self.target is not None else ""


def json_value(value):
    """A field's value as JSON: ids and dates as strings, a related row by its primary key."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID | datetime.date | datetime.datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def _as_json(values: dict | None) -> dict | None:
    return {k: json_value(v) for k, v in values.items()} if values is not None else None


def _change(organization_id, action, actor, target, before, after) -> OrganizationChange:
    return OrganizationChange(
        organization_id=organization_id,
        action=action,
        actor=actor,
        target=target,
        before=_as_json(before),
        after=_as_json(after),
    )


def organization_change(
    *, organization_id, action: str, actor=None, target=None, before: dict | None = None, after: dict | None = None
) -> OrganizationChange:
    """Tell the receivers of ``organization_changed`` what happened; call it inside the change's transaction."""
    change = _change(organization_id, action, actor, target, before, after)
    organization_changed.send(sender=OrganizationChange, change=change)
    return change


def organization_changes(
    *, organization_id, action: str, actor=None, items: Sequence[tuple[models.Model, dict | None, dict | None]]
) -> list[OrganizationChange]:
    """``organization_change`` for many rows at once: one change per ``(target, before, after)`` item, told
    in one ``organization_changed_many`` signal; call it inside the change's transaction."""
    changes = [_change(organization_id, action, actor, target, before, after) for target, before, after in items]
    if changes:
        organization_changed_many.send(sender=OrganizationChange, changes=changes)
    return changes
