from config.filters import FilterSet, choices_filter
from imports.models import ImportJob, ImportKind, ImportState


class ImportJobFilter(FilterSet):
    """An organization's imports by state and kind, each taking several values (``?state=pending,running``)."""

    state = choices_filter(ImportState.values, field_name="state")
    kind = choices_filter(ImportKind.values, field_name="kind")

    class Meta:
        model = ImportJob
        fields = ["state", "kind"]
