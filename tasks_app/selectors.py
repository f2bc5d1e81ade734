"""Reads of tasks, shaped for the serializers that render them (a fixed number of queries per page)."""

import functools
import json
import uuid

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Aggregate, Exists, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from accounts.models import User
from config.records import records
from config.statements import shaped
from tasks_app.models import Comment, Task, TaskActivity, TaskMention

USER_FIELDS = ("id", "username", "full_name", "email")
# What TaskSerializer renders of a task (its ``to_representation``) and of its creator and assignee
# (``accounts.serializers.user_reference``): all a page of tasks reads.
PAGE_TASK_FIELDS = (
    "id",
    "organization_id",
    "title",
    "description",
    "status",
    "priority",
    "created_by_id",
    "assignee_id",
    "due_date",
    "completed_at",
    "created_at",
    "updated_at",
)
PAGE_USER_FIELDS = ("id", "username", "full_name")


def task_page() -> QuerySet[Task]:
    """``task_list()`` for pages of tasks (the lists, the MCP tools' lists): only the columns ``TaskSerializer``
    renders, not the rest of the task and its two users, which PostgreSQL would send and psycopg convert for
    nothing; each row a ``config.records.Record`` (the task, its creator and assignee as attributes), not three
    model instances. Shaped (``config.statements``): the filters, ordering and slice of a list are recorded, and a
    statement of a shape seen before is bound rather than built and compiled again."""
    return _task_page_base().all()


@functools.cache
def _task_page_base() -> QuerySet[Task]:
    users = [f"{relation}__{name}" for relation in ("created_by", "assignee") for name in PAGE_USER_FIELDS]
    return shaped(
        records(
            Task.objects.select_related("created_by", "assignee")
            .only(*PAGE_TASK_FIELDS, *users)
            .annotate(mention_references=_mention_references())
        )
    )


def task_list() -> QuerySet[Task]:
    """Tasks with what ``TaskSerializer`` renders: creator and assignee joined (whole: the services that change a
    task notify them), and the mentioned users as ``mention_references`` (``id``, ``username``, ``full_name``, by
    username), read by the same statement: a page of tasks is one query, not two (they were a prefetch)."""
    return _task_list_base().all()


@functools.cache
def _task_list_base() -> QuerySet[Task]:
    """Built once, never evaluated: ``annotate()`` resolves the subquery each time, a clone (``.all()``) does not."""
    # ``search_vector`` is for the database to search with; a page never needs it (it is most of a row's size).
    return (
        Task.objects.defer("search_vector")
        .select_related("created_by", "assignee")
        .annotate(mention_references=_mention_references())
    )


class _MentionReferencesField(JSONField):
    """The JSON array of mention references as the serializer wants it; NULL (no mention) reads as []."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        references = json.loads(value) if isinstance(value, str) else value
        if connection.vendor != "postgresql":
            # SQLite stores ids as 32 hex digits and orders no aggregate before 3.44: what PostgreSQL gives.
            for reference in references:
                reference["id"] = str(uuid.UUID(reference["id"]))
            references.sort(key=lambda reference: reference["username"])
        return references


class _JSONArrayAgg(JSONBAgg):
    """``JSONB_AGG(... ORDER BY ...)`` on PostgreSQL; ``JSON_GROUP_ARRAY`` on SQLite (ordered when read)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        # Aggregate's own SQL, without the ORDER BY that SQLite lacks.
        return Aggregate.as_sql(self, compiler, connection, function="JSON_GROUP_ARRAY", order_by="", **extra_context)


class _CompiledOnce(Subquery):
    """A subquery whose SQL is compiled at its first use on each kind of database and kept: a page of tasks then
    compiles a constant rather than the mentions' subquery with its join, aggregate and JSON object
    (docs/performance.md, issue 16's fixed cost). Its SQL names the task table by its own name, as a page's query does:
    never use it where the task table has another alias (as a subquery's)."""

    _sql: dict = {}  # database vendor -> (sql, params)

    def as_sql(self, compiler, connection, **extra_context):
        compiled = self._sql.get(connection.vendor)
        if compiled is None:
            compiled = self._sql[connection.vendor] = super().as_sql(compiler, connection, **extra_context)
        return compiled


def _mention_references() -> Subquery:
    """A task's mentioned users as one JSON array, a correlated subquery on (task, user), the unique index."""
    references = (
        TaskMention.objects.filter(task=OuterRef("pk"))
        .order_by()
        .values("task")
        .annotate(
            references=_JSONArrayAgg(
                JSONObject(id="user_id", username="user__username", full_name="user__full_name"),
                order_by="user__username",
            )
        )
        .values("references")
    )
    return _CompiledOnce(references, output_field=_MentionReferencesField())


def task_list_assigned(*, user) -> QuerySet[Task]:
    return task_page().filter(assignee_id=user.pk)  # the id, not the person: a value a shape binds


# Where ``task_list_mentioning`` looks for the person's @mentions (``GET /tasks/mentioned?in=``).
MENTIONED_IN = ("all", "task", "comments")


def task_list_mentioning(*, user, where: str = "all") -> QuerySet[Task]:
    """Tasks that mention ``user``: in the task itself (its description or its ``mentions``), in one of its
    comments that is not deleted, or either (``where``). EXISTS subqueries, so a task mentioning the person
    in itself and in three comments is listed once, without DISTINCT over the whole list. A step of the shaped
    page (``config.statements``): bound, once learnt, for any person."""
    if where not in MENTIONED_IN:
        raise ValueError(f"where: one of {MENTIONED_IN}, not {where!r}")
    return task_page().derived(mentioning, (where,), user.pk)


def mentioning(queryset, where: str, *user_ids):
    """``queryset``'s tasks that mention any of ``user_ids`` in themselves, in a comment that is not deleted, or
    either (``where``, one of ``MENTIONED_IN``). A step of a shaped queryset (``derived``), whose values are the
    ids: ``task_list_mentioning``, and the task list's ``?mentioned=`` (in the task)."""
    in_task = Exists(TaskMention.objects.filter(task=OuterRef("pk"), user_id__in=user_ids))
    in_comments = Exists(Comment.objects.filter(task=OuterRef("pk"), mentions__in=user_ids))
    condition = {"task": in_task, "comments": in_comments, "all": in_task | in_comments}[where]
    return queryset.filter(condition)


def comment_list(*, task: Task) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(task=task)
        .select_related("author")
        .prefetch_related(Prefetch("mentions", queryset=User.objects.only(*USER_FIELDS).order_by("username")))
    )


class TaskActivityList:
    """A task's activity, oldest first: the entries stored for it and, first, for a task an import created,
    its ``imported`` entry, read from the task itself (``import_job_id``, ``created_by``, ``created_at``).

    Imports store no activity row per task (``tasks_app.bulk``): that row, its indexes and its foreign-key
    checks were about a sixth of the server's work in an import. The entry reads as the stored one did:
    verb ``imported``, the importer as actor, the job's id as ``new_value``, the task's creation time;
    its ``id`` is 0, since no row holds it. Rows stored by imports before are left out, not shown twice.

    Sliced and counted as a queryset is (Django's paginator takes it): one query for the count, one for
    a page, as before; the imported entry needs none (the task comes with its creator).
    """

    ordered = True  # oldest first, by (created_at, id): Django's paginator asks

    def __init__(self, task: Task):
        self.stored = TaskActivity.objects.filter(task=task).select_related("actor")
        self.head: list[TaskActivity] = []
        if task.import_job_id is not None:
            self.stored = self.stored.exclude(verb=TaskActivity.Verb.IMPORTED)
            self.head = [imported_activity(task)]

    def count(self) -> int:
        return len(self.head) + self.stored.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[TaskActivity]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("A task's activity is read in slices: [start:stop].")
        start, stop = index.start or 0, index.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError("A task's activity takes no negative index.")
        skipped = len(self.head)
        head = self.head[start:stop]
        stored_start = max(start - skipped, 0)
        stored_stop = None if stop is None else max(stop - skipped, 0)
        if stored_stop is not None and stored_stop <= stored_start:
            return head
        return [*head, *self.stored[stored_start:stored_stop]]

    def latest(self, limit: int) -> list[TaskActivity]:
        """The last ``limit`` entries, oldest first (one query)."""
        newest = list(self.stored.order_by("-created_at", "-id")[:limit])
        newest += self.head[::-1][: limit - len(newest)]
        return newest[::-1]


def imported_activity(task: Task) -> TaskActivity:
    """The ``imported`` entry of a task an import created, as imports used to store it (not saved)."""
    return TaskActivity(
        id=0,
        task=task,
        actor=task.created_by,
        verb=TaskActivity.Verb.IMPORTED,
        new_value=str(task.import_job_id),
        created_at=task.created_at,
    )


def activity_list(*, task: Task) -> TaskActivityList:
    """The task's activity, oldest first (``TaskActivityList``)."""
    return TaskActivityList(task)


def task_trash_list(*, organization_id, user=None) -> QuerySet[Task]:
    """An organization's deleted tasks, last deleted first; only those ``user`` created when given."""
    tasks = Task.all_objects.filter(organization_id=organization_id, deleted_at__isnull=False)
    if user is not None:
        tasks = tasks.filter(created_by=user)
    return tasks.select_related("created_by", "deleted_by").order_by("-deleted_at", "-id")


def comment_trash_list(*, organization_id, user=None) -> QuerySet[Comment]:
    """An organization's deleted comments on tasks that are not deleted (a deleted task's comments come
    back with it), last deleted first; only those ``user`` wrote when given."""
    comments = Comment.all_objects.filter(
        deleted_at__isnull=False, task__organization_id=organization_id, task__deleted_at__isnull=True
    )
    if user is not None:
        comments = comments.filter(author=user)
    return comments.select_related("task", "author", "deleted_by").order_by("-deleted_at", "-id")


def comment_get(*, task: Task, comment_id) -> Comment | None:
    return Comment.objects.filter(task=task, pk=comment_id).select_related("task").first()


def notifications_visible(notifications: QuerySet) -> QuerySet:
    """Leave out notifications about a deleted task or a deleted comment (``NOTIFICATION_VISIBILITY_FILTERS``):
    a deletion hides them at once, a restore brings them back."""
    deleted_tasks = Task.all_objects.filter(deleted_at__isnull=False, pk=OuterRef("target_id"))
    notifications = notifications.exclude(Q(target_type="task") & Exists(deleted_tasks))
    # Comments are named in ``data`` (as text), on the tasks the notification is about; deleted ones
    # are few (the trash is purged), and only those on the recipients' tasks matter.
    deleted_comments = [
        str(pk)
        for pk in Comment.all_objects.filter(
            deleted_at__isnull=False,
            task_id__in=notifications.filter(target_type="task").values("target_id"),
        ).values_list("pk", flat=True)
    ]
    if deleted_comments:
        # By key, not ``exclude(data__comment_id__in=...)``: that would also drop every row without the key (NULL).
        about_them = notifications.filter(data__comment_id__in=deleted_comments).values("pk")
        notifications = notifications.exclude(pk__in=about_them)
    return notifications


def task_list_of_organization(*, organization_id) -> QuerySet[Task]:
    """Every task of one organization, unordered and without joins: the base that reports aggregate over."""
    return Task.objects.filter(organization_id=organization_id).order_by()
