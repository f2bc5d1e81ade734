import django_filters

from config import statements
from config.filters import FilterSet, StableOrderingFilter, labelled_choices_filter, uuids_filter
from organizations import access_cache
from tasks_app import selectors
from tasks_app.models import Priority, Status, Task
from tasks_app.search import RANK, search


class TaskFilter(FilterSet):
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
        """Tasks that name any of these people in themselves; recorded as a step of a shaped queryset
        (``config.statements``), so bound once its shape is learnt."""
        return statements.derive(queryset, selectors.mentioning, ("task",), *value)

    def filter_search(self, queryset, name, value):
        """Full-text in the organizations' languages, or every term as a substring (``tasks_app/search.py``)."""
        return search(queryset, value, languages=self.search_languages())

    def search_languages(self):
        """The languages of the organizations searched: those of the caller (their tasks are stemmed in them),
        from what the scoping read (``organizations.access_cache``), not a query of their own."""
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return access_cache.reach(user).languages()


class TaskOrderingFilter(StableOrderingFilter):
    """``?ordering=``, and for a search without one, the best matches first (``tasks_app.search.RANK``)."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if RANK in statements.annotated(queryset) and not request.query_params.get(self.ordering_param):
            return [f"-{RANK}", *ordering]
        return ordering
