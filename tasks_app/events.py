"""Who hears about what happens to a task. Notifications are written in the caller's transaction."""

from config.text import truncate
from notifications.models import NotificationKind
from notifications.services import notification_create

# A notification shows the start of the text; the task or comment has the rest.
PREVIEW_CHARS = 500


def _task_url(task) -> str:
    return f"/tasks/{task.pk}"


def _common(task) -> dict:
    return {
        "organization_id": task.organization_id,
        "target_type": "task",
        "target_id": task.pk,
        "url": _task_url(task),
    }


def _data(task, **extra) -> dict:
    return {"task": {"id": str(task.pk), "title": task.title}, **extra}


def task_assigned(*, task, actor) -> None:
    if task.assignee_id is None:
        return
    notification_create(
        recipients=[task.assignee],
        kind=NotificationKind.ASSIGNED,
        actor=actor,
        title=f"You were assigned \u201c{task.title}\u201d",
        body=truncate(task.description, PREVIEW_CHARS),
        data=_data(task),
        **_common(task),
    )


def task_mentioned(*, task, users, actor, comment=None) -> None:
    if not users:
        return
    where = "a comment on " if comment is not None else ""
    text = comment.body if comment is not None else task.description
    notification_create(
        recipients=users,
        kind=NotificationKind.MENTIONED,
        actor=actor,
        title=f"{_name(actor)} mentioned you in {where}\u201c{task.title}\u201d",
        body=truncate(text, PREVIEW_CHARS),
        data=_data(task, comment_id=str(comment.pk) if comment is not None else None),
        **_common(task),
    )


def task_status_changed(*, task, old_status: str, new_status: str, actor) -> None:
    notification_create(
        recipients=_followers(task),
        kind=NotificationKind.STATUS_CHANGED,
        actor=actor,
        title=f"\u201c{task.title}\u201d moved from {old_status} to {new_status}",
        data=_data(task, old_status=old_status, new_status=new_status),
        **_common(task),
    )


def task_commented(*, task, comment, actor, already_notified=()) -> None:
    skip = {user.pk for user in already_notified}
    notification_create(
        recipients=[user for user in _followers(task) if user.pk not in skip],
        kind=NotificationKind.COMMENTED,
        actor=actor,
        title=f"{_name(actor)} commented on \u201c{task.title}\u201d",
        body=truncate(comment.body, PREVIEW_CHARS),
        data=_data(task, comment_id=str(comment.pk)),
        **_common(task),
    )


def _followers(task) -> list:
    """The people a task's changes concern: its creator and its assignee."""
    return [user for user in (task.created_by, task.assignee) if user is not None]


def _name(user) -> str:
    return (user.full_name or f"@{user.username}") if user is not None else "Someone"
