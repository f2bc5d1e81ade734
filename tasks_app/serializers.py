import datetime
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.models import User
from accounts.serializers import UserReferenceSerializer, user_reference
from config.serializers import BoundedListField, LabelChoiceField, StrictCharField, StrictModelSerializer
from config.text import truncate
from tasks_app.models import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Comment,
    Priority,
    Status,
    Task,
    TaskActivity,
)
from tasks_app.services import BULK_MAX_TASKS

_datetime = serializers.DateTimeField()
_UTC_ZONE = zoneinfo.ZoneInfo("UTC")  # ZoneInfo keeps one instance per key: Django's and DRF's UTC is this one
_date = serializers.DateField()
# A stored status or priority's label: a dict read per task instead of an enum's constructor.
_STATUS_LABELS = {member.value: member.label for member in Status}
_PRIORITY_LABELS = {member.value: member.label for member in Priority}


def _iso_8601(setting) -> bool:
    return str(setting).lower() == ISO_8601


def _date_text(value) -> str | None:
    """``DateField().to_representation(value)`` for a date (what the ISO 8601 format writes, without DRF's lookups)."""
    if value is None:
        return None
    if not _iso_8601(api_settings.DATE_FORMAT) or isinstance(value, str):
        return _date.to_representation(value)
    return value.isoformat()


def _page_timezone():
    """The time zone ``_datetime_text`` writes in: the current one (DRF's lookup goes through asgiref's Local each
    time, so a page reads it once), or None when DRF's own formatting must be used (another ``DATETIME_FORMAT``).
    UTC is given as ``datetime.UTC``, the zone the database's timestamps are read in (``config/postgresql``), so
    they are written as they are: the same text as converted to ``ZoneInfo("UTC")``, an offset of ``+00:00``."""
    if not _iso_8601(api_settings.DATETIME_FORMAT):
        return None
    tz = _datetime.default_timezone()
    return datetime.UTC if tz is _UTC_ZONE else tz


def _datetime_text(value, tz) -> str | None:
    """``DateTimeField().to_representation(value)`` for an aware datetime in ``tz`` (``_page_timezone``)."""
    if value is None:
        return None
    if value.tzinfo is None or tz is None:
        return _datetime.to_representation(value)
    text = (value if value.tzinfo is tz else value.astimezone(tz)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _mentions(task) -> list[dict]:
    """The mentioned users' references: read with the task (``selectors.task_list``: a JSON array of exactly
    ``id``, ``username``, ``full_name``, as ``user_reference`` writes them), else from the database."""
    references = getattr(task, "mention_references", None)
    if references is None:
        return [user_reference(user) for user in task.mentions.order_by("username")]
    return references


class TaskSerializer(StrictModelSerializer):
    """A task as the API shows it.

    ``to_representation`` builds the dict directly: the list endpoint renders pages of these, and
    DRF's field-by-field path costs several times more per object (PERFORMANCE.md: 33,700 vs
    195,000 objects/s). The declared fields still describe the shape to the OpenAPI schema, and
    a test checks both agree.
    """

    organization = serializers.UUIDField(source="organization_id", read_only=True)
    status = LabelChoiceField(Status, read_only=True)
    priority = LabelChoiceField(Priority, read_only=True)
    created_by = UserReferenceSerializer(read_only=True)
    assignee = UserReferenceSerializer(read_only=True, allow_null=True)
    mentions = UserReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "organization",
            "title",
            "description",
            "status",
            "priority",
            "created_by",
            "assignee",
            "mentions",
            "due_date",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, task):
        try:
            tz = self.__dict__["_timezone"]
        except KeyError:
            tz = _page_timezone()
            if isinstance(self.parent, serializers.ListSerializer):  # one page, one time zone: read it once
                self._timezone = tz
        return {
            "id": str(task.pk),
            "organization": str(task.organization_id),
            "title": task.title,
            "description": task.description,
            "status": _STATUS_LABELS[task.status],
            "priority": _PRIORITY_LABELS[task.priority],
            "created_by": user_reference(task.created_by),
            "assignee": user_reference(task.assignee),
            "mentions": _mentions(task),
            "due_date": _date_text(task.due_date),
            "completed_at": _datetime_text(task.completed_at, tz),
            "created_at": _datetime_text(task.created_at, tz),
            "updated_at": _datetime_text(task.updated_at, tz),
        }


class MemberRefField(serializers.PrimaryKeyRelatedField):
    """A user id; membership of the task's organization is checked by the service."""

    default_error_messages = {"does_not_exist": _("Unknown user {pk_value}.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.all(), pk_field=serializers.UUIDField(), **kwargs)


class TaskWriteSerializer(serializers.Serializer):
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, trim_whitespace=False
    )
    status = LabelChoiceField(Status, required=False)
    priority = LabelChoiceField(Priority, required=False)
    assignee = MemberRefField(allow_null=True, required=False)
    due_date = serializers.DateField(allow_null=True, required=False)
    mentions = BoundedListField(child=MemberRefField(), required=False, max_length=50)


class TaskCreateSerializer(TaskWriteSerializer):
    organization = serializers.UUIDField()


class CommentSerializer(StrictModelSerializer):
    author = UserReferenceSerializer(read_only=True)
    mentions = UserReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "body", "author", "mentions", "created_at", "edited_at"]
        read_only_fields = ["id", "author", "mentions", "created_at", "edited_at"]


class CommentCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=COMMENT_MAX_LENGTH)


class TaskActivitySerializer(StrictModelSerializer):
    actor = UserReferenceSerializer(read_only=True)

    class Meta:
        model = TaskActivity
        fields = ["id", "actor", "verb", "field", "old_value", "new_value", "created_at"]
        read_only_fields = fields


class TrashTaskReferenceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = StrictCharField()


class TrashItemSerializer(serializers.Serializer):
    """A deleted task or comment, as the trash lists it (docs/api/trash.md)."""

    type = serializers.ChoiceField(choices=["task", "comment"], help_text="What was deleted.")
    id = serializers.UUIDField()
    title = StrictCharField(help_text="The task's title, or the start of the comment.")
    task = TrashTaskReferenceSerializer(allow_null=True, help_text="A comment's task; null for a task.")
    created_by = UserReferenceSerializer(allow_null=True, help_text="The task's creator or the comment's author.")
    deleted_by = UserReferenceSerializer(allow_null=True)
    deleted_at = serializers.DateTimeField()
    purge_after = serializers.DateTimeField(
        help_text="From then on the retention purge deletes it for good (TRASH_RETENTION_DAYS)."
    )

    def to_representation(self, instance):
        is_task = isinstance(instance, Task)
        return {
            "type": "task" if is_task else "comment",
            "id": str(instance.pk),
            "title": instance.title if is_task else truncate(instance.body, 80),
            "task": None if is_task else {"id": str(instance.task_id), "title": instance.task.title},
            "created_by": user_reference(instance.created_by if is_task else instance.author),
            "deleted_by": user_reference(instance.deleted_by),
            "deleted_at": _datetime.to_representation(instance.deleted_at),
            "purge_after": _datetime.to_representation(
                instance.deleted_at + datetime.timedelta(days=settings.TRASH_RETENTION_DAYS)
            ),
        }


class TaskBulkChangeSerializer(serializers.Serializer):
    """The one change of a bulk request: exactly one of these fields."""

    status = LabelChoiceField(Status, required=False)
    priority = LabelChoiceField(Priority, required=False)
    assignee = MemberRefField(allow_null=True, required=False, help_text="A member's id, or null to unassign.")
    due_date = serializers.DateField(allow_null=True, required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(f"Give exactly one of {', '.join(self.fields)}.", code="one_change")
        return attrs


class TaskBulkSerializer(serializers.Serializer):
    organization = serializers.UUIDField(help_text="The organization every task belongs to.")
    ids = BoundedListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=BULK_MAX_TASKS,
        help_text=f"1 to {BULK_MAX_TASKS} task ids (a repeated id counts once).",
    )
    change = TaskBulkChangeSerializer(required=False, help_text="The one field to set on every task.")
    delete = serializers.BooleanField(
        required=False, default=False, help_text="true: move every task to the trash (instead of `change`)."
    )

    def validate(self, attrs):
        if attrs.get("delete") == ("change" in attrs):
            raise serializers.ValidationError("Give either change or delete: true.", code="one_change")
        return attrs


class TaskBulkResultSerializer(serializers.Serializer):
    changed = BoundedListField(
        child=serializers.UUIDField(), max_length=BULK_MAX_TASKS, help_text="The tasks changed (or deleted)."
    )
    unchanged = BoundedListField(
        child=serializers.UUIDField(),
        max_length=BULK_MAX_TASKS,
        help_text="The tasks that already had the value: left as they were.",
    )
    tasks = TaskSerializer(many=True, help_text="The changed tasks as they are now; empty for a delete.")
