"""What becomes an event of the live stream, and who may see it.

Three seams, none of them a call site of their own: ``organizations.changes.organization_changed``
(tasks, comments, members, imports started and finished, exports ready: the seam of the audit log
and the webhooks), ``notifications.signals.notifications_created`` and
``imports.signals.import_progressed``. Each receiver runs inside the change's transaction and only
builds the event from rows already in memory (no query); the event is published with
``transaction.on_commit``, so a rolled-back change is never streamed and ids follow commit order.

An event carries its **audience**, which ``live.viewer`` reads and the stream never sends:

- ``scope``: the delegated scope a token needs to see it (``config.credentials.SCOPES``);
- ``user``: the one person it is for (a notification's recipient; an import's or export's requester;
  the member a membership change is about), even outside the organization (a removed member);
- ``role``: the role from which the organization's other members see it too (admins see every
  import); neither ``user`` nor ``role``: every member;
- ``refresh``: people whose memberships it changes: their open streams reload them before going on;
  ``refresh_organization``: everyone in the organization reloads (it was deleted or restored).
"""

import logging
import time
from functools import partial

from django.db import transaction

from live.bus import get_bus
from organizations.changes import Action
from organizations.models import Role

logger = logging.getLogger(__name__)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(pk) -> str | None:
    return str(pk) if pk is not None else None


def task_data(task) -> dict:
    from tasks_app.models import Priority, Status

    return {
        "id": str(task.pk),
        "title": task.title,
        "status": Status(task.status).label,
        "priority": Priority(task.priority).label,
        "assignee": _ref(task.assignee_id),
        "due_date": _iso(task.due_date),
        "completed_at": _iso(task.completed_at),
        "updated_at": _iso(task.updated_at),
    }


def comment_data(comment) -> dict:
    return {
        "id": str(comment.pk),
        "task": str(comment.task_id),
        "author": _ref(comment.author_id),
        "body": comment.body,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def membership_data(membership) -> dict:
    return {"user": str(membership.user_id), "role": Role(membership.role).label}


def import_data(job) -> dict:
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "file": job.original_name,
        "state": job.state,
        "phase": job.phase,
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "failed": job.failed,
        "skipped": job.skipped,
    }


def export_data(export) -> dict:
    return {
        "id": str(export.pk),
        "format": export.format,
        "state": export.state,
        "date_from": _iso(export.date_from),
        "date_to": _iso(export.date_to),
        "url": f"/api/v1/reports/exports/{export.pk}",
    }


def notification_data(notification) -> dict:
    return {
        "id": str(notification.pk),
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "actor": _ref(notification.actor_id),
        "organization_id": _ref(notification.organization_id),
        "target_type": notification.target_type,
        "target_id": _ref(notification.target_id),
        "data": notification.data,
        "created_at": _iso(notification.created_at),
    }


def _everyone(scope):
    return lambda change: {"scope": scope}


def requester_audience(row, field: str, scope: str) -> dict:
    """The person who started it (``row.<field>``), and the organization's admins."""
    return {"scope": scope, "user": _ref(getattr(row, field)), "role": int(Role.ADMIN)}


def _requester(field: str, scope: str):
    return lambda change: requester_audience(change.target, field, scope)


def _member(change):
    """Every member, and the person it is about (who hears of their own removal)."""
    subject = str(change.target.user_id)
    return {"scope": "members:read", "user": subject, "role": int(Role.VIEWER), "refresh": [subject]}


def _organization(change):
    return {"scope": "tasks:read", "refresh_organization": True}


# Which organization changes are streamed: action -> (data of its target, its audience). A new kind
# of change (e.g. ``comment.updated``) is one line here.
STREAMED = {
    Action.TASK_CREATED: (task_data, _everyone("tasks:read")),
    Action.TASK_UPDATED: (task_data, _everyone("tasks:read")),
    Action.TASK_DELETED: (task_data, _everyone("tasks:read")),
    Action.TASK_RESTORED: (task_data, _everyone("tasks:read")),
    Action.COMMENT_CREATED: (comment_data, _everyone("tasks:read")),
    Action.COMMENT_UPDATED: (comment_data, _everyone("tasks:read")),
    Action.COMMENT_DELETED: (comment_data, _everyone("tasks:read")),
    Action.COMMENT_RESTORED: (comment_data, _everyone("tasks:read")),
    Action.MEMBER_ADDED: (membership_data, _member),
    Action.MEMBER_REMOVED: (membership_data, _member),
    Action.MEMBER_ROLE_CHANGED: (membership_data, _member),
    Action.IMPORT_STARTED: (import_data, _requester("created_by_id", "org:admin")),
    Action.IMPORT_FINISHED: (import_data, _requester("created_by_id", "org:admin")),
    Action.REPORT_EXPORT_READY: (export_data, _requester("requested_by_id", "reports:read")),
    Action.ORGANIZATION_DELETED: (lambda organization: {"id": str(organization.pk)}, _organization),
    Action.ORGANIZATION_RESTORED: (lambda organization: {"id": str(organization.pk)}, _organization),
}

IMPORT_PROGRESS = "import.progress"
NOTIFICATION_CREATED = "notification.created"
# Every type a stream may carry, for the docs and the schema.
EVENT_TYPES = (*[str(action) for action in STREAMED], IMPORT_PROGRESS, NOTIFICATION_CREATED)


def event_publish_on_commit(*events: dict) -> None:
    """Publish ``events`` once the current transaction commits (at once outside one); stamped then."""
    if events:
        transaction.on_commit(partial(_publish, events))


def _publish(events: tuple[dict, ...]) -> None:
    # After the commit: the change stands whatever happens here, so a bus that is down costs the
    # live streams an event (they resume or reload), never the request its answer.
    committed_at = time.time()
    try:
        get_bus().publish_many([{**event, "committed_at": committed_at} for event in events])
    except Exception:
        logger.exception("Live events %s not published", sorted({event.get("type") for event in events}))


def _event(*, type, organization_id, actor_id, data, audience, changed=None) -> dict:
    event = {
        "type": str(type),
        "organization": _ref(organization_id),
        "actor": _ref(actor_id),
        "data": data,
        "audience": audience,
    }
    if changed is not None:
        event["changed"] = changed
    return event


def _change_event(change) -> dict | None:
    streamed = STREAMED.get(change.action)
    if streamed is None or change.target is None:
        return None
    render, audience = streamed
    return _event(
        type=change.action,
        organization_id=change.organization_id,
        actor_id=getattr(change.actor, "pk", None),
        data=render(change.target),
        audience=audience(change),
        changed=sorted(change.after) if change.action == Action.TASK_UPDATED and change.after else None,
    )


def stream_on_change(sender, *, change, **kwargs):
    """``organization_changed``: a streamed change becomes an event published on commit."""
    stream_on_changes(sender, changes=[change])


def stream_on_changes(sender, *, changes, **kwargs):
    """``organization_changed_many`` (a bulk change): an event per change, published together on commit."""
    event_publish_on_commit(*filter(None, map(_change_event, changes)))


def stream_on_notifications(sender, *, notifications, **kwargs):
    """``notifications_created``: each notification is an event for its recipient only."""
    event_publish_on_commit(
        *(
            _event(
                type=NOTIFICATION_CREATED,
                organization_id=notification.organization_id,
                actor_id=notification.actor_id,
                data=notification_data(notification),
                audience={"scope": "tasks:read", "user": str(notification.recipient_id)},
            )
            for notification in notifications
        )
    )


def stream_on_import_progress(sender, *, job, **kwargs):
    """``import_progressed``: a committed batch, for the importer and the admins."""
    event_publish_on_commit(
        _event(
            type=IMPORT_PROGRESS,
            organization_id=job.organization_id,
            actor_id=None,
            data=import_data(job),
            audience=requester_audience(job, "created_by_id", "org:admin"),
        )
    )
