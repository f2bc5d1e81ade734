from config.filters import BooleanFilter, FilterSet, choices_filter
from notifications.models import Notification, NotificationKind


class NotificationFilter(FilterSet):
    unread = BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="true: only unread ones; false: only read ones."
    )
    kind = choices_filter(NotificationKind.values, field_name="kind")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
