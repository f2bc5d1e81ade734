"""Writes of tasks and comments. Each change records its activity and its notifications atomically."""

import datetime
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import Conflict, Forbidden, NotFound
from config.retention import delete_in_batches
from config.text import truncate
from organizations.changes import Action, organization_change, organization_changes
from organizations.models import Organization, Role
from organizations.selectors import (
    organization_access_get,
    organization_member_ids_among,
    organization_member_list_by_username,
)
from tasks_app import bulk, events, selectors
from tasks_app.mentions import handles_in
from tasks_app.models import Comment, Priority, Status, Task, TaskActivity, TaskMention

EDITABLE_FIELDS = ("title", "description", "status", "priority", "assignee", "due_date")
# What one bulk change may set (``task_bulk_change``), and how many tasks it takes at most.
BULK_FIELDS = ("status", "priority", "assignee", "due_date")
BULK_MAX_TASKS = 100


def _require_members(*, organization_id, assignee=None, mention_ids=()) -> None:
    """The assignee and explicitly mentioned users must belong to the task's organization."""
    wanted = set(map(str, mention_ids))
    if assignee is not None:
        wanted.add(str(assignee.pk))
    members = organization_member_ids_among(organization_id=organization_id, user_ids=wanted)
    errors = {}
    if assignee is not None and str(assignee.pk) not in members:
        errors["assignee"] = ValidationError("The assignee must be a member of the organization.", "not_a_member")
    outsiders = set(map(str, mention_ids)) - members
    if outsiders:
        errors["mentions"] = ValidationError(
            "Mentioned users must be members of the organization: %(ids)s",
            "not_a_member",
            params={"ids": ", ".join(sorted(outsiders))},
        )
    if errors:
        raise ValidationError(errors)


def _parsed_mentions(*, organization_id, text: str) -> dict:
    """Members mentioned as @username in ``text``; other handles stay plain text."""
    return {
        user.pk: user
        for user in organization_member_list_by_username(organization_id=organization_id, usernames=handles_in(text))
    }


def _display(field: str, value) -> str:
    if value is None:
        return ""
    if field == "status":
        return Status(value).label
    if field == "priority":
        return Priority(value).label
    if field == "assignee":
        return f"@{value.username}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _state(task: Task) -> dict:
    """A task's own fields, for the record of its creation or deletion."""
    return {name: getattr(task, name) for name in ("title", "status", "priority", "assignee_id", "due_date")}


def _record(task, actor, verb, field="", old="", new="") -> TaskActivity:
    return TaskActivity(
        task=task, actor=actor, verb=verb, field=field, old_value=_display(field, old), new_value=_display(field, new)
    )


def _sync_mentions(task: Task, *, explicit: dict | None, in_description: dict | None) -> set:
    """Set the task's mentions from either source (None: that source unchanged). Returns newly mentioned ids."""
    links = {link.user_id: link for link in TaskMention.objects.filter(task=task)}
    before = set(links)
    wanted_explicit = set(explicit) if explicit is not None else {u for u, link in links.items() if link.explicit}
    wanted_text = (
        set(in_description) if in_description is not None else {u for u, link in links.items() if link.in_description}
    )
    keep = wanted_explicit | wanted_text
    TaskMention.objects.filter(task=task).exclude(user_id__in=keep).delete()
    for user_id, link in links.items():
        if user_id in keep and (link.explicit, link.in_description) != (
            user_id in wanted_explicit,
            user_id in wanted_text,
        ):
            link.explicit, link.in_description = user_id in wanted_explicit, user_id in wanted_text
            link.save(update_fields=["explicit", "in_description"])
    TaskMention.objects.bulk_create(
        [
            TaskMention(
                task=task, user_id=user_id, explicit=user_id in wanted_explicit, in_description=user_id in wanted_text
            )
            for user_id in keep - before
        ]
    )
    return keep - before


@transaction.atomic
def task_create(
    *,
    organization,
    created_by,
    title: str,
    description: str = "",
    status: int = Status.TODO,
    priority: int = Priority.MEDIUM,
    assignee=None,
    due_date: datetime.date | None = None,
    mentions=(),
) -> Task:
    """Create a task; its assignee and everyone it mentions are notified (not the creator)."""
    mentions = list(mentions)
    _require_members(organization_id=organization.pk, assignee=assignee, mention_ids=[u.pk for u in mentions])
    # One instant for both: a task created done is completed when it is created, not a few
    # microseconds before (``completed_at - created_at`` is the reports' cycle time).
    now = timezone.now()
    task = Task(
        organization=organization,
        created_by=created_by,
        title=title,
        description=description,
        status=status,
        priority=priority,
        assignee=assignee,
        due_date=due_date,
        completed_at=now if status == Status.DONE else None,
        created_at=now,
        search_language=organization.language,
    )
    task.full_clean(exclude=["organization", "created_by", "assignee"])
    task.save()
    in_text = _parsed_mentions(organization_id=organization.pk, text=description)
    explicit = {u.pk: u for u in mentions}
    new_ids = _sync_mentions(task, explicit=explicit, in_description=in_text)
    TaskActivity.objects.create(task=task, actor=created_by, verb=TaskActivity.Verb.CREATED)
    events.task_assigned(task=task, actor=created_by)
    everyone = {**in_text, **explicit}
    events.task_mentioned(task=task, users=[everyone[i] for i in new_ids], actor=created_by)
    organization_change(
        organization_id=organization.pk, action=Action.TASK_CREATED, actor=created_by, target=task, after=_state(task)
    )
    return task


@transaction.atomic
def task_update(*, task: Task, actor, mentions=None, **changes) -> Task:
    """Apply ``changes`` (a subset of EDITABLE_FIELDS); record each changed field; notify who it concerns.

    Editing the description re-reads its @mentions and notifies only the newly mentioned.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    task = Task.objects.select_for_update(of=("self",)).select_related("created_by", "assignee").get(pk=task.pk)
    mention_list = list(mentions) if mentions is not None else None
    _require_members(
        organization_id=task.organization_id,
        assignee=changes.get("assignee"),
        mention_ids=[u.pk for u in mention_list or ()],
    )
    changed = {name: (getattr(task, name), value) for name, value in changes.items() if getattr(task, name) != value}
    for name, (_old, new) in changed.items():
        setattr(task, name, new)
    if "status" in changed:
        task.completed_at = timezone.now() if task.status == Status.DONE else None
    task.full_clean(exclude=["organization", "created_by", "assignee"])
    if changed:
        task.save()
    activity = [_record(task, actor, TaskActivity.Verb.UPDATED, name, old, new) for name, (old, new) in changed.items()]

    in_text = (
        _parsed_mentions(organization_id=task.organization_id, text=task.description)
        if "description" in changed
        else None
    )
    explicit = {u.pk: u for u in mention_list} if mention_list is not None else None
    if in_text is not None or explicit is not None:
        old_mentions = sorted(f"@{u.username}" for u in task.mentions.all())
        new_ids = _sync_mentions(task, explicit=explicit, in_description=in_text)
        new_mentions = sorted(f"@{u.username}" for u in task.mentions.all())
        if old_mentions != new_mentions:
            activity.append(
                TaskActivity(
                    task=task,
                    actor=actor,
                    verb=TaskActivity.Verb.UPDATED,
                    field="mentions",
                    old_value=", ".join(old_mentions),
                    new_value=", ".join(new_mentions),
                )
            )
        everyone = {**(in_text or {}), **(explicit or {})}
        events.task_mentioned(task=task, users=[everyone[i] for i in new_ids if i in everyone], actor=actor)
    TaskActivity.objects.bulk_create(activity)

    if changed:
        organization_change(
            organization_id=task.organization_id,
            action=Action.TASK_UPDATED,
            actor=actor,
            target=task,
            before={name: old for name, (old, _new) in changed.items()},
            after={name: new for name, (_old, new) in changed.items()},
        )
    if "assignee" in changed:
        events.task_assigned(task=task, actor=actor)
    if "status" in changed:
        old, new = changed["status"]
        events.task_status_changed(task=task, old_status=Status(old).label, new_status=Status(new).label, actor=actor)
    return task


@transaction.atomic
def task_delete(*, task: Task, actor=None) -> None:
    """Move the task to its organization's trash: it vanishes at once from every list, count, report,
    search and notification (``Task.objects`` no longer shows it); its comments, mentions and activity
    stay, to come back with it (``task_restore``), until the trash is purged (``trash_purge``)."""
    if not task.soft_delete(by=actor):
        raise NotFound()  # deleted meanwhile
    TaskActivity.objects.create(task=task, actor=actor, verb=TaskActivity.Verb.DELETED, created_at=task.deleted_at)
    organization_change(
        organization_id=task.organization_id, action=Action.TASK_DELETED, actor=actor, target=task, before=_state(task)
    )


def task_delete_allowed(*, task: Task, user, role: int) -> bool:
    """Who may move a task to the trash: its creator while a member who may write, and admins and owners."""
    return role >= Role.ADMIN or (role >= Role.MEMBER and task.created_by_id == getattr(user, "pk", None))


def task_edit_allowed(*, task: Task, user, role: int) -> bool:
    """Who may edit a task: any member who may write (viewers read only)."""
    return role >= Role.MEMBER


@transaction.atomic
def task_bulk_change(
    *, organization_id, actor, task_ids: Sequence, changes: dict | None = None, delete: bool = False
) -> list[Task]:
    """Apply one change (one field of ``BULK_FIELDS``, or ``delete``) to up to ``BULK_MAX_TASKS`` tasks of one
    organization, all or nothing; returns the tasks it changed (a task that already had the value is left).

    Each task is checked as its own request would be (``task_edit_allowed``, ``task_delete_allowed``); any task
    unknown, in another organization or not the actor's to change fails the whole change, naming each
    offending id by its index (``ids.<index>``). What a single change records, this records per task: one
    activity row, one organization change (told at once: ``organization_changes``); its notifications are one
    summary per person rather than one per task. A fixed number of queries, whatever the number of tasks.
    """
    if delete == bool(changes) or (changes and (len(changes) != 1 or not set(changes) <= set(BULK_FIELDS))):
        raise ValueError(f"Give delete or exactly one change of {', '.join(BULK_FIELDS)}")
    tasks = _bulk_tasks_get(organization_id=organization_id, actor=actor, task_ids=list(task_ids), delete=delete)
    if delete:
        return _tasks_bulk_delete(organization_id=organization_id, tasks=tasks, actor=actor)
    ((field, value),) = changes.items()
    return _tasks_bulk_update(organization_id=organization_id, tasks=tasks, actor=actor, field=field, value=value)


def _bulk_tasks_get(*, organization_id, actor, task_ids: list, delete: bool) -> list[Task]:
    """The tasks of a bulk change, locked, each once, in the order given; every one must exist in the
    organization and be the actor's to change, or the whole change fails naming each offending index."""
    if not task_ids or len(task_ids) > BULK_MAX_TASKS:
        raise ValidationError(
            {"ids": ValidationError("Give 1 to %(max)s task ids.", "invalid", params={"max": BULK_MAX_TASKS})}
        )
    role = Role.OWNER  # an operator
    if actor is not None:
        access = organization_access_get(user=actor, organization_id=organization_id)
        if access is None:
            raise NotFound()
        role = access.role
    allowed = task_delete_allowed if delete else task_edit_allowed
    found = {
        task.pk: task
        for task in selectors.task_list()
        .select_for_update(of=("self",))
        .filter(organization_id=organization_id, pk__in=task_ids)
        .order_by("pk")
    }
    errors = {}
    for index, task_id in enumerate(task_ids):
        task = found.get(task_id)
        if task is None:
            errors[f"ids.{index}"] = ValidationError(
                "No task %(id)s in this organization.", "not_found", {"id": task_id}
            )
        elif not allowed(task=task, user=actor, role=role):
            what = "delete" if delete else "edit"
            errors[f"ids.{index}"] = ValidationError(
                "You may not %(what)s task %(id)s.", "permission_denied", {"what": what, "id": task_id}
            )
    if errors:
        raise ValidationError(errors)
    return [found[task_id] for task_id in dict.fromkeys(task_ids)]


def _tasks_bulk_update(*, organization_id, tasks: list[Task], actor, field: str, value) -> list[Task]:
    """``task_update`` of one field for many tasks at once (``task_bulk_change``): one UPDATE, one INSERT of
    activity, the organization changes told at once, one summary notification per person concerned."""
    if field == "assignee":
        try:
            _require_members(organization_id=organization_id, assignee=value)
        except ValidationError as exc:
            raise ValidationError({"change.assignee": exc.message_dict["assignee"]}) from exc
    column = "assignee_id" if field == "assignee" else field
    stored = value.pk if field == "assignee" and value is not None else value
    changed = [task for task in tasks if getattr(task, column) != stored]
    olds = {task.pk: getattr(task, field) for task in changed}
    now = timezone.now()
    values = {field: value, "updated_at": now}
    if field == "status":
        values["completed_at"] = now if value == Status.DONE else None
    # One UPDATE for all: every changed task takes the same values (bulk_update would write a CASE per row).
    Task.objects.filter(pk__in=[task.pk for task in changed]).update(**values)
    for task in changed:
        for name, new in values.items():
            setattr(task, name, new)
    TaskActivity.objects.bulk_create(
        [_record(task, actor, TaskActivity.Verb.UPDATED, field, olds[task.pk], value) for task in changed]
    )
    organization_changes(
        organization_id=organization_id,
        action=Action.TASK_UPDATED,
        actor=actor,
        items=[(task, {field: olds[task.pk]}, {field: value}) for task in changed],
    )
    if field == "assignee":
        events.tasks_assigned_in_bulk(tasks=changed, actor=actor, organization_id=organization_id)
    elif field == "status":
        events.tasks_status_changed_in_bulk(
            tasks=changed, new_status=Status(value).label, actor=actor, organization_id=organization_id
        )
    return changed


def _tasks_bulk_delete(*, organization_id, tasks: list[Task], actor) -> list[Task]:
    """``task_delete`` for many tasks at once (``task_bulk_change``): one UPDATE, one INSERT of activity."""
    now = timezone.now()
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(deleted_at=now, deleted_by=actor)
    for task in tasks:
        task.deleted_at, task.deleted_by = now, actor
    TaskActivity.objects.bulk_create(
        [TaskActivity(task=task, actor=actor, verb=TaskActivity.Verb.DELETED, created_at=now) for task in tasks]
    )
    organization_changes(
        organization_id=organization_id,
        action=Action.TASK_DELETED,
        actor=actor,
        items=[(task, _state(task), None) for task in tasks],
    )
    return tasks


def _trash_handle_require(*, organization_id, actor, owner_id, message: str) -> None:
    """Admins and owners handle anything in the trash; a member (not a viewer) only what is their own."""
    if actor is None:
        return  # an operator
    access = organization_access_get(user=actor, organization_id=organization_id)
    if access is None:
        raise NotFound()
    if access.role >= Role.ADMIN or (access.role >= Role.MEMBER and owner_id == actor.pk):
        return
    raise Forbidden(message)


@transaction.atomic
def task_restore(*, organization_id, task_id, actor=None) -> Task:
    """Bring a task back from the trash, with its comments, mentions and activity (they never left).

    Its admins restore any task, its creator their own (404 for a task not in this organization's trash).
    """
    task = (
        Task.all_objects.select_for_update()
        .filter(pk=task_id, organization_id=organization_id, deleted_at__isnull=False)
        .first()
    )
    if task is None:
        raise NotFound()
    _trash_handle_require(
        organization_id=organization_id,
        actor=actor,
        owner_id=task.created_by_id,
        message="Only the task's creator or an admin may restore it.",
    )
    deleted_at = task.deleted_at
    task.undelete()
    TaskActivity.objects.create(task=task, actor=actor, verb=TaskActivity.Verb.RESTORED)
    organization_change(
        organization_id=organization_id,
        action=Action.TASK_RESTORED,
        actor=actor,
        target=task,
        before={"deleted_at": deleted_at},
        after=_state(task),
    )
    return task


@transaction.atomic
def comment_delete(*, comment: Comment, actor=None) -> None:
    """Move a comment to the trash: its author or the organization's admins (``Forbidden`` otherwise)."""
    task = comment.task
    _trash_handle_require(
        organization_id=task.organization_id,
        actor=actor,
        owner_id=comment.author_id,
        message="Only the comment's author or an admin may delete it.",
    )
    if not comment.soft_delete(by=actor):
        raise NotFound()
    TaskActivity.objects.create(
        task=task,
        actor=actor,
        verb=TaskActivity.Verb.COMMENT_DELETED,
        field="comment",
        old_value=truncate(comment.body, 200),
        created_at=comment.deleted_at,
    )
    organization_change(
        organization_id=task.organization_id,
        action=Action.COMMENT_DELETED,
        actor=actor,
        target=comment,
        before={"task": task.pk, "body": comment.body},
    )


def comment_edit_require(*, comment: Comment, actor) -> None:
    """Only a comment's author edits it, while a member who may write (``Forbidden``; 404 once not in its
    organization). The API checks it before reading the body, as for every refusal of who may call."""
    if actor is None or comment.author_id != actor.pk:
        raise Forbidden("Only the comment's author may edit it.")
    access = organization_access_get(user=actor, organization_id=comment.task.organization_id)
    if access is None:
        raise NotFound()
    if access.role < Role.MEMBER:
        raise Forbidden("Viewers have read-only access to this organization.")


@transaction.atomic
def comment_update(*, comment: Comment, actor, body: str) -> Comment:
    """Edit a comment's body: its author only, while a member who may write (``Forbidden`` otherwise; admins
    delete others' comments but never put words in their mouths).

    Its @mentions are read again: the newly mentioned hear of it, those mentioned before do not hear of it
    twice, and those no longer mentioned stop being. An edit that changes nothing changes nothing.
    """
    comment_edit_require(comment=comment, actor=actor)
    comment = Comment.objects.select_for_update(of=("self",)).select_related("task").filter(pk=comment.pk).first()
    if comment is None:
        raise NotFound()  # deleted meanwhile
    if comment.body == body:
        return comment
    task, old_body = comment.task, comment.body
    comment.body, comment.edited_at = body, timezone.now()
    comment.full_clean(exclude=["task", "author"])
    comment.save(update_fields=["body", "edited_at"])
    mentioned = _parsed_mentions(organization_id=task.organization_id, text=body)
    before = set(comment.mentions.values_list("pk", flat=True))
    comment.mentions.set(mentioned.values())
    TaskActivity.objects.create(
        task=task,
        actor=actor,
        verb=TaskActivity.Verb.COMMENT_EDITED,
        field="comment",
        old_value=truncate(old_body, 200),
        new_value=truncate(body, 200),
        created_at=comment.edited_at,
    )
    events.task_mentioned(
        task=task, users=[user for pk, user in mentioned.items() if pk not in before], actor=actor, comment=comment
    )
    organization_change(
        organization_id=task.organization_id,
        action=Action.COMMENT_UPDATED,
        actor=actor,
        target=comment,
        before={"body": old_body},
        after={"body": body},
    )
    return comment


@transaction.atomic
def comment_restore(*, organization_id, comment_id, actor=None) -> Comment:
    """Bring a comment back from the trash (its author or an admin); its task must not be deleted
    itself (409: restore the task first, which brings back its comments)."""
    comment = (
        Comment.all_objects.select_for_update(of=("self",))
        .select_related("task")
        .filter(pk=comment_id, task__organization_id=organization_id, deleted_at__isnull=False)
        .first()
    )
    if comment is None:
        raise NotFound()
    _trash_handle_require(
        organization_id=organization_id,
        actor=actor,
        owner_id=comment.author_id,
        message="Only the comment's author or an admin may restore it.",
    )
    if comment.task.deleted_at is not None:
        raise Conflict("Its task is deleted: restore the task, which brings its comments back.", code="task_deleted")
    comment.undelete()
    organization_change(
        organization_id=organization_id,
        action=Action.COMMENT_RESTORED,
        actor=actor,
        target=comment,
        after={"task": comment.task_id, "body": comment.body},
    )
    return comment


def trash_purge(*, now: datetime.datetime, batch_size: int, dry_run: bool) -> int:
    """Retention policy ``trash``: tasks and comments deleted more than ``TRASH_RETENTION_DAYS`` ago, for
    good (a task with its comments, mentions and activity), in batches. Returns how many tasks and comments."""
    cutoff = now - datetime.timedelta(days=settings.TRASH_RETENTION_DAYS)
    comments = delete_in_batches(
        Comment.all_objects.filter(deleted_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run
    )
    tasks = delete_in_batches(Task.all_objects.filter(deleted_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run)
    return comments + tasks


@transaction.atomic
def comment_create(*, task: Task, author, body: str) -> Comment:
    """Comment on a task; @mentioned members hear of it, then its creator and assignee (never the author)."""
    comment = Comment(task=task, author=author, body=body)
    comment.full_clean(exclude=["task", "author"])
    comment.save()
    mentioned = list(_parsed_mentions(organization_id=task.organization_id, text=body).values())
    comment.mentions.set(mentioned)
    TaskActivity.objects.create(
        task=task, actor=author, verb=TaskActivity.Verb.COMMENTED, new_value=truncate(body, 200)
    )
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now())
    events.task_mentioned(task=task, users=mentioned, actor=author, comment=comment)
    events.task_commented(task=task, comment=comment, actor=author, already_notified=mentioned)
    organization_change(
        organization_id=task.organization_id,
        action=Action.COMMENT_CREATED,
        actor=author,
        target=comment,
        after={"task": task.pk, "body": body},
    )
    return comment


@transaction.atomic
def task_bulk_load(
    *,
    organization,
    rows: Sequence[bulk.TaskLoadRow],
    created_by,
    import_job_id: uuid.UUID | None = None,
) -> int:
    """Create many tasks at once (a CSV import's batch) in the caller's transaction; returns how many.

    ``rows`` come validated by the caller (title length, labels, dates); assignees and mentioned users
    are checked here, one query per call, so that no bulk load can reach outside its organization. Each
    task records ``import_job_id``, gets an ``imported`` activity and its description's mentions. Nobody
    is notified per task: the caller sends each assignee and each mentioned person one summary for the
    whole import.
    """
    people = {row.assignee_id for row in rows if row.assignee_id is not None}
    people |= {user_id for row in rows for user_id in row.mention_ids}
    if people:
        outsiders = {str(uid) for uid in people} - organization_member_ids_among(
            organization_id=organization.pk, user_ids=people
        )
        if outsiders:
            raise ValidationError(
                "Assignees and mentioned users must be members of the organization: %(ids)s",
                "not_a_member",
                params={"ids": ", ".join(sorted(outsiders))},
            )
    return bulk.load(
        organization_id=organization.pk,
        created_by_id=getattr(created_by, "pk", None),
        import_job_id=import_job_id,
        rows=rows,
        now=timezone.now(),
        activity_value=str(import_job_id) if import_job_id else "",
    )


SEARCH_REINDEX_BATCH = 5000


def task_search_language_sync(*, organization_id) -> int:
    """Move the organization's tasks (deleted ones too) to its current search language, ``SEARCH_REINDEX_BATCH``
    at a time, each batch its own transaction (PostgreSQL computes each row's ``search_vector`` again); returns
    how many moved. A second run, or one that races a new language, only moves what is not in it yet."""
    moved = 0
    while True:
        language = Organization.all_objects.filter(pk=organization_id).values_list("language", flat=True).first()
        if language is None:
            return moved
        stale = Task.all_objects.filter(organization_id=organization_id).exclude(search_language=language)
        with transaction.atomic():
            count = Task.all_objects.filter(
                pk__in=list(stale.values_list("pk", flat=True)[:SEARCH_REINDEX_BATCH])
            ).update(search_language=language)
        moved += count
        if count < SEARCH_REINDEX_BATCH:
            return moved
