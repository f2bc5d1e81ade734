import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from tasks_app.models import Priority, Status, Task


class LabelChoiceFilter(django_filters.ChoiceFilter):
    """Filter an integer-choice field by its API label (``?status=in_progress``)."""

    def __init__(self, *args, choices_class, **kwargs):
        self.choices_class = choices_class
        super().__init__(*args, choices=[(label, label) for label in choices_class.labels], **kwargs)
        # The schema would take the type from the model's integer field: the parameter is one of the labels.
        extend_schema_field({"type": "string", "enum": list(choices_class.labels)})(self)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        return qs.filter(**{self.field_name: self.choices_class.from_label(value)})


class TaskFilter(django_filters.FilterSet):
    organization = django_filters.UUIDFilter(field_name="organization_id")
    status = LabelChoiceFilter(field_name="status", choices_class=Status)
    priority = LabelChoiceFilter(field_name="priority", choices_class=Priority)
    assignee = django_filters.UUIDFilter(field_name="assignee_id")
    created_by = django_filters.UUIDFilter(field_name="created_by_id")
    mentioned = django_filters.UUIDFilter(method="filter_mentioned")
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
        return queryset.filter(mention_links__user_id=value)

    def filter_search(self, queryset, name, value):
        """Every word must appear in the title or the description, case-insensitively."""
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset
