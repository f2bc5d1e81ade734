from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` that always ends with a unique tie-breaker, so pages never overlap or skip rows."""

    tie_breakers = ("-created_at", "-pk")

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        named = {field.lstrip("-") for field in ordering}
        return ordering + [field for field in self.tie_breakers if field.lstrip("-") not in named]
