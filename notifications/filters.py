import django_filters

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="true: only unread ones; false: only read ones."
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
