from django.conf import settings
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response


class BoundedPages:
    """What every paginator of the API shares: a ``?page_size=`` bounded by ``API_MAX_PAGE_SIZE``, and a
    404 with the paginator's own ``invalid_code`` for a page (or cursor) that does not exist."""

    page_size_query_param = "page_size"
    invalid_code = "invalid_page"

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise NotFound(detail=str(exc.detail), code=self.invalid_code) from exc


class StandardPagination(BoundedPages, PageNumberPagination):
    """``{"data": [...], "pagination": {...}}`` with ``?page=`` and a bounded ``?page_size=``."""

    def get_paginated_response(self, data):
        page = self.page
        return Response(
            {
                "data": data,
                "pagination": {
                    "total": page.paginator.count,
                    "page": page.number,
                    "page_size": page.paginator.per_page,
                    "total_pages": page.paginator.num_pages,
                    "has_next": page.has_next(),
                    "has_prev": page.has_previous(),
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["total", "page", "page_size", "total_pages", "has_next", "has_prev"],
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "has_next": {"type": "boolean"},
                        "has_prev": {"type": "boolean"},
                    },
                },
            },
        }


class StandardCursorPagination(BoundedPages, CursorPagination):
    """``{"data": [...], "pagination": {"next": url, "previous": url, "page_size": n}}`` with ``?cursor=``.

    For logs that only grow and are read newest first (the organization audit log): a page never
    shifts when rows arrive, and no count is taken. ``next``/``previous`` are full URLs carrying an
    opaque ``cursor`` (and the request's filters), null at either end. ``ordering`` must end with a
    unique field; a subclass or the view sets it. An unreadable cursor answers 404 ``invalid_cursor``.
    """

    invalid_code = "invalid_cursor"

    def get_paginated_response(self, data):
        return Response(
            {
                "data": data,
                "pagination": {
                    "next": self.get_next_link(),
                    "previous": self.get_previous_link(),
                    "page_size": self.page_size,
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["next", "previous", "page_size"],
                    "properties": {"next": link, "previous": link, "page_size": {"type": "integer"}},
                },
            },
        }
