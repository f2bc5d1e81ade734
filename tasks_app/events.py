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


# --- Bulk changes (POST /tasks/bulk): one summary per person, never one notification per task -------------


def _plural(count: int) -> str:
    return f"{count} task{'s' if count != 1 else ''}"


def _summary(*, shares: dict, kind: NotificationKind, actor, organization_id, title, url: str, extra: dict) -> None:
    """Notify each person of ``shares`` (user id -> (user, their tasks)) once, counting their own tasks;
    written in one go whatever the number of people and tasks."""
    if not shares:
        return
    notification_create(
        recipients=[user for user, _tasks in shares.values()],
        kind=kind,
        actor=actor,
        title=title(1),
        url=url,
        organization_id=organization_id,
        personal={
            user_id: {
                "title": title(len(tasks)),
                "data": {"tasks": [{"id": str(task.pk), "title": task.title} for task in tasks], **extra},
            }
            for user_id, (user, tasks) in shares.items()
        },
    )


def _shares(pairs) -> dict:
    shares: dict = {}
    for user, task in pairs:
        if user is not None:
            shares.setdefault(user.pk, (user, []))[1].append(task)
    return shares


def tasks_assigned_in_bulk(*, tasks, actor, organization_id) -> None:
    """The new assignee of tasks assigned in one bulk change hears once how many are now theirs."""
    _summary(
        shares=_shares((task.assignee, task) for task in tasks),
        kind=NotificationKind.ASSIGNED,
        actor=actor,
        organization_id=organization_id,
        title=lambda count: f"{_name(actor)} assigned {_plural(count)} to you",
        url="/tasks/assigned",
        extra={},
    )


def tasks_status_changed_in_bulk(*, tasks, new_status: str, actor, organization_id) -> None:
    """Whom a task's status change concerns (its creator and assignee) hears once how many of theirs moved."""
    _summary(
        shares=_shares((user, task) for task in tasks for user in {u.pk: u for u in _followers(task)}.values()),
        kind=NotificationKind.STATUS_CHANGED,
        actor=actor,
        organization_id=organization_id,
        title=lambda count: f"{_name(actor)} moved {_plural(count)} of yours to {new_status}",
        url="/tasks",
        extra={"new_status": new_status},
    )
