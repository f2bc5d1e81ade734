import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from config.filters import FilterSet, uuids_filter
from sessions_app.models import UserSession


class IPAddressFilter(django_filters.CharFilter):
    """An IPv4 or IPv6 address; anything else is a 400, not a database error."""

    field_class = forms.GenericIPAddressField


class AdminSessionFilter(FilterSet):
    user = uuids_filter(field_name="user_id")
    ip = IPAddressFilter(field_name="ip", lookup_expr="exact")
    is_active = django_filters.ChoiceFilter(choices=[("true", "true"), ("false", "false")], method="filter_is_active")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = UserSession
        fields = ["user", "ip", "is_active", "created_after", "created_before"]

    def filter_is_active(self, queryset, name, value):
        active = Q(revoked_at__isnull=True, expires_at__gt=timezone.now())
        return queryset.filter(active) if value == "true" else queryset.exclude(active)
