import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.utils import timezone

from config.languages import DEFAULT_SEARCH_LANGUAGE
from config.softdelete import ALIVE, DELETED, SoftDeletable
from config.text import truncate
from tasks_app.search import RegConfigField, TaskSearchDocument

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 5_000


class LabelledChoices(models.IntegerChoices):
    """Stored as small integers so that ordering follows meaning; the API speaks the labels."""

    @classmethod
    def from_label(cls, label: str):
        for choice in cls:
            if choice.label == label:
                return choice
        raise ValueError(f"Unknown value {label!r}; expected one of {', '.join(cls.labels)}.")


class Status(LabelledChoices):
    TODO = 1, "todo"
    IN_PROGRESS = 2, "in_progress"
    DONE = 3, "done"


class Priority(LabelledChoices):
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
    URGENT = 4, "urgent"


# The labels the API speaks, for the OpenAPI enum names (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
STATUS_LABELS = Status.labels
PRIORITY_LABELS = Priority.labels


class Task(SoftDeletable):
    """A task; soft-deleted (``config/softdelete.py``): ``Task.objects`` never shows a deleted one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=TITLE_MAX_LENGTH, validators=[MinLengthValidator(1)])
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)])
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.TODO)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TaskMention", related_name="mentioned_in_tasks", blank=True
    )
    due_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The import job that created the task, if any. An id rather than a foreign key, so tasks do not
    # depend on the imports app; not indexed, since nothing lists tasks by job and an index would
    # slow every bulk load.
    import_job_id = models.UUIDField(null=True, blank=True, editable=False)
    # Search (tasks_app/search.py): the language its words are stemmed in, its organization's when it was
    # written (``Organization.language``), and the words themselves, a column PostgreSQL keeps (NULL elsewhere),
    # with a GIN index (migration 0007: PostgreSQL only, as are the trigram indexes of substring search).
    search_language = RegConfigField(
        default=DEFAULT_SEARCH_LANGUAGE, db_default=DEFAULT_SEARCH_LANGUAGE, editable=False
    )
    search_vector = models.GeneratedField(
        expression=TaskSearchDocument(), output_field=TaskSearchDocument.output_field, db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        # One index per filter and ordering the list offers: a list's cost is its exact count and
        # its first page, both served by these (docs/performance.md, "Why the code is shaped this way").
        default_manager_name = "objects"
        # One index per filter and ordering the list offers: a list's cost is its exact count and
        # its first page, both served by these (docs/performance.md, "Why the code is shaped this way").
        # Partial (``WHERE deleted_at IS NULL``), as every query through ``Task.objects`` is: deleted
        # tasks neither take room in them nor get scanned.
        indexes = [
            # "-id" is the lists' tie-breaker: with it the first page is read off the index in order.
            models.Index(fields=["organization", "-created_at", "-id"], name="task_org_created_idx", condition=ALIVE),
            models.Index(
                fields=["organization", "status", "-created_at", "-id"],
                name="task_org_status_created_idx",
                condition=ALIVE,
            ),
            models.Index(
                fields=["organization", "priority", "-created_at", "-id"],
                name="task_org_priority_created_idx",
                condition=ALIVE,
            ),
            models.Index(
                fields=["organization", "assignee", "-created_at", "-id"],
                name="task_org_assignee_created_idx",
                condition=ALIVE,
            ),
            models.Index(
                fields=["organization", "created_by", "-created_at", "-id"],
                name="task_org_creator_created_idx",
                condition=ALIVE,
            ),
            models.Index(fields=["organization", "due_date"], name="task_org_due_idx", condition=ALIVE),
            models.Index(fields=["organization", "-updated_at"], name="task_org_updated_idx", condition=ALIVE),
            models.Index(fields=["assignee", "-created_at", "-id"], name="task_assignee_created_idx", condition=ALIVE),
            # Reports: tasks completed per week and their cycle times, read off the index alone.
            models.Index(
                fields=["organization", "completed_at", "created_at"], name="task_org_completed_idx", condition=ALIVE
            ),
            # The trash (an organization's deleted tasks, newest first) and its purge (oldest first).
            models.Index(fields=["organization", "-deleted_at"], name="task_org_trash_idx", condition=DELETED),
            models.Index(fields=["deleted_at"], name="task_trash_purge_idx", condition=DELETED),
        ]

    def __str__(self):
        return self.title


class TaskMention(models.Model):
    """A user mentioned by a task, explicitly (``mentions`` ids) or as @username in its description."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="mention_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    explicit = models.BooleanField(default=False)
    in_description = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="task_mention_unique")]
        indexes = [models.Index(fields=["user", "task"], name="task_mention_user_idx")]

    def __str__(self):
        return f"@{self.user_id} in {self.task_id}"


class Comment(SoftDeletable):
    """A comment; soft-deleted on its own (its task's deletion hides it with the task, see ``comment_list``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(validators=[MinLengthValidator(1), MaxLengthValidator(COMMENT_MAX_LENGTH)])
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="mentioned_in_comments", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When its author last changed its body (``comment_update``); null for a comment never edited.
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        default_manager_name = "objects"
        indexes = [
            models.Index(fields=["task", "created_at"], name="comment_task_created_idx", condition=ALIVE),
            models.Index(fields=["deleted_at"], name="comment_trash_idx", condition=DELETED),
        ]

    def __str__(self):
        return truncate(self.body, 50)


class TaskActivity(models.Model):
    """Who changed which field of a task from what to what, and when."""

    class Verb(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        COMMENTED = "commented"
        COMMENT_EDITED = "comment_edited"
        COMMENT_DELETED = "comment_deleted"
        IMPORTED = "imported"
        DELETED = "deleted"
        RESTORED = "restored"

    id = models.BigAutoField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=16, choices=Verb.choices)
    field = models.CharField(max_length=32, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "task activity"
        indexes = [models.Index(fields=["task", "created_at"], name="activity_task_created_idx")]

    def __str__(self):
        return f"{self.verb} {self.field}".strip()


class TaskPageVersion(models.Model):
    """What a cached page of tasks is checked against (``tasks_app/page_cache.py``): one row per organization whose
    ``version`` is a new random value whenever anything a page of its tasks shows may have changed, and one row,
    ``PEOPLE_VERSION_ID``, for the people every page names (a username, a full name).

    Written only by the database's triggers (migration 0008), in the transaction of the change itself, whatever
    made it: the API, the admin, an import's ``COPY``, a bulk ``UPDATE``, raw SQL. Random rather than a counter, so
    a version never comes back (a restored backup, a truncated table) to match a page cached from other data. No
    foreign key: the people's row belongs to no organization; an organization's row goes with it.
    """

    organization_id = models.UUIDField(primary_key=True)
    version = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.organization_id}: {self.version}"


PEOPLE_VERSION_ID = uuid.UUID(int=0)
