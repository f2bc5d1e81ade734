import django_filters
from django.db.models import Exists, OuterRef, Q

from config.filters import labelled_choices_filter, uuids_filter
from tasks_app.models import Priority, Status, Task, TaskMention


class TaskFilter(django_filters.FilterSet):
    """The task list's filters: each of a choice or an id takes several values (``config/filters.py``)."""

    organization = uuids_filter(field_name="organization_id")
    status = labelled_choices_filter(Status, field_name="status")
    priority = labelled_choices_filter(Priority, field_name="priority")
    assignee = uuids_filter(field_name="assignee_id")
    created_by = uuids_filter(field_name="created_by_id")
    mentioned = uuids_filter(method="filter_mentioned")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Task
        fields = [
            "organization",
            "status",
            "priority",
            "assignee",
            "created_by",
            "mentioned",
            "due_before",
            "due_after",
            "search",
        ]

    def filter_mentioned(self, queryset, name, value):
        # EXISTS rather than a join: a task mentioning two of the people asked for is listed once.
        return queryset.filter(Exists(TaskMention.objects.filter(task=OuterRef("pk"), user_id__in=value)))

    def filter_search(self, queryset, name, value):
        """Every word must appear in the title or the description, case-insensitively."""
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset
