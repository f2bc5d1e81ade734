from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, OrderBy, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

from config import statements


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


MAX_PAGE_NUMBER = 10**9


class StandardPagination(BoundedPages, PageNumberPagination):
    """``{"data": [...], "pagination": {...}}`` with ``?page=`` and a bounded ``?page_size=``.

    No list scans all its rows to answer a page (docs/api/pagination.md): the page is read with one row
    more than asked for, which tells ``has_next``; a list that ends on this page needs no count at all, and
    a longer one is counted up to ``API_EXACT_COUNT_LIMIT`` rows (or just past the page, deeper in): below
    that ``total`` is exact, above it ``total`` is that bound and ``total_exact`` is false.

    A view may read and count its rows its own way (``view.paginate_rows(queryset, offset, limit)``,
    ``view.count_rows(queryset, limit)``): the task list of a person in several organizations merges each
    organization's first rows, and counts each organization's rows apart (``organizations.viewsets``).
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.count = getattr(view, "count_rows", None)
        size = self.get_page_size(request)
        number = self.page_number(request, queryset, size)
        rows, self.pagination = paginate(
            queryset, number=number, size=size, read=getattr(view, "paginate_rows", None) or _rows, count=self.count
        )
        return rows

    def page_number(self, request, queryset, size) -> int:
        value = request.query_params.get(self.page_query_param) or "1"
        if value in self.last_page_strings:
            total, exact = bounded_count(queryset, at_least=0, count=self.count)
            if not exact:
                raise NotFound(
                    detail=f"The last page of a list of more than {total} rows is not known: follow has_next.",
                    code=self.invalid_code,
                )
            return max(1, -(-total // size))
        # Digits only, and no deeper than any list could be (an offset past 64 bits would fail in the database).
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_NUMBER:
            raise NotFound(detail=self.invalid_page_message, code=self.invalid_code)
        return int(value)

    def get_paginated_response(self, data):
        return Response({"data": data, "pagination": self.pagination})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["total", "total_exact", "page", "page_size", "total_pages", "has_next", "has_prev"],
                    "properties": {
                        "total": {
                            "type": "integer",
                            "description": "How many rows the list has; when `total_exact` is false, it has more "
                            "than this (the count stopped there).",
                        },
                        "total_exact": {"type": "boolean"},
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"},
                        "total_pages": {
                            "type": "integer",
                            "description": "Pages of `total` rows: at least this many when `total_exact` is false.",
                        },
                        "has_next": {"type": "boolean"},
                        "has_prev": {"type": "boolean"},
                    },
                },
            },
        }


def paginate(queryset, *, number: int, size: int, read=None, count=None) -> tuple[list, dict]:
    """Page ``number`` of ``queryset`` and the envelope's ``pagination``; a page past the end is a 404
    ``invalid_page``. ``read(queryset, offset, limit)`` reads the rows (a slice by default), ``count(queryset,
    limit)`` counts them up to ``limit`` (``count_rows`` by default)."""
    offset = (number - 1) * size
    rows = list((read or _rows)(queryset, offset, size + 1))
    if not rows and number > 1:
        raise NotFound(detail="That page has no results.", code="invalid_page")
    has_next = len(rows) > size
    rows = rows[:size]
    if has_next:
        total, exact = bounded_count(queryset, at_least=offset + size + 1, count=count)
    else:
        total, exact = offset + len(rows), True
    return rows, {
        "total": total,
        "total_exact": exact,
        "page": number,
        "page_size": size,
        "total_pages": max(1, -(-total // size)),
        "has_next": has_next,
        "has_prev": number > 1,
    }


def _rows(queryset, offset: int, limit: int):
    return queryset[offset : offset + limit]


def bounded_count(queryset, *, at_least: int, count=None) -> tuple[int, bool]:
    """``(total, exact)``: the rows of ``queryset`` counted up to ``API_EXACT_COUNT_LIMIT`` (at least
    ``at_least``), ``SELECT COUNT(*) FROM (... LIMIT bound + 1)``; past the bound, ``(bound, False)``.
    ``count(queryset, limit)`` counts (``count_rows`` by default)."""
    bound = max(settings.API_EXACT_COUNT_LIMIT, at_least)
    counted = (count or count_rows)(queryset, bound + 1)
    return (counted, True) if counted <= bound else (bound, False)


def count_rows(queryset, limit: int) -> int:
    """The rows of ``queryset``, counted up to ``limit``: in the list's order when that makes the count a walk of
    one index whatever the values, so it is prepared (``config.statements.prepares``), in no order otherwise (the
    database then reads them whichever way is cheapest for these values)."""
    if isinstance(queryset, statements.ShapedQuerySet):
        ordered = queryset.values("pk")[:limit]
        if statements.prepares(ordered):
            return _count_of(ordered)
    if isinstance(queryset, QuerySet):
        return _count_of(queryset.order_by().values("pk")[:limit])
    # A list that slices and counts as a queryset does (a task's activity: ``TaskActivityList``).
    return min(queryset.count(), limit)


def _count_of(rows: QuerySet) -> int:
    """``rows.count()`` of a sliced queryset, as the SQL Django writes for it (``SELECT COUNT(*) FROM (<rows>)
    subquery``) around the statement of ``rows`` compiled once (or bound from its shape: ``config.statements``):
    Django's ``count()`` clones the query, resolves an aggregate over it and compiles the outer statement too,
    about a third of the count's CPU."""
    return _count_around(rows, "SELECT COUNT(*) FROM ({}) subquery", lambda params: params)


def _count_around(rows: QuerySet, template: str, parameters) -> int:
    """``COUNT(*)`` of a statement around that of ``rows`` (``template`` holds it as ``{}``; ``parameters(params)``
    gives the whole statement's from those of ``rows``), on a cursor that prepares it when the statement of
    ``rows`` is sent prepared (``config.statements``)."""
    try:
        compiler, sql, params = statements.bound(rows)
    except EmptyResultSet:  # a filter that matches nothing by itself (``__in=[]``): no statement to send
        return 0
    with statements.cursor(compiler) as cursor:
        cursor.execute(template.format(sql), parameters(params))  # Django's SQL, its values as parameters
        return cursor.fetchone()[0]


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


def merged_rows(queryset, *, field: str, values, offset: int, limit: int) -> list:
    """``queryset[offset:offset + limit]`` for a queryset spread over several ``field`` values (a person's
    organizations), read as the first ``offset + limit`` rows of each value merged in the queryset's order.

    ``organization_id IN (a, b, c)`` cannot be read off an ``(organization, created_at)`` index in order: the
    planner fetches and sorts every row of those organizations for the first page. Each value's rows alone
    can (``WHERE organization_id = a ORDER BY ... LIMIT n``), so the page's ids come from that one read, run
    for each value by a ``LATERAL`` join over the array of values, then ordered and cut again, in a
    subquery of the one query that reads those rows whole. Django compiles the per-value read once,
    whatever the number of values (a ``UNION ALL`` of one read per value compiled each; at a million tasks
    that compiling was most of the page's cost). Where the database has no ``LATERAL`` (SQLite), the plain
    slice is read.
    """
    values = list(values)
    connection = connections[queryset.db]
    if len(values) < 2 or connection.vendor != "postgresql":
        return list(queryset[offset : offset + limit])
    return list(statements.derive(queryset, _merged, (field, offset, limit), values))  # bound once learnt


def _merged(queryset, field: str, offset: int, limit: int, values: list):
    """``merged_rows``'s queryset: ``queryset`` filtered to the page's ids, read by the ``LATERAL`` join."""
    keys, outer = {}, []
    for position, item in enumerate(queryset.query.order_by or queryset.model._meta.ordering):
        order = item if isinstance(item, OrderBy) else OrderBy(F(item.lstrip("-")), descending=item.startswith("-"))
        name = f"merge_key_{position}"
        keys[name] = order.expression
        nulls = " NULLS FIRST" if order.nulls_first else " NULLS LAST" if order.nulls_last else ""
        outer.append(f'"merged"."{name}" {"DESC" if order.descending else "ASC"}{nulls}')
    # Each value's first rows: ``field = "merge_values"."value"``, the value the LATERAL join gives.
    part = (
        queryset.annotate(merge_id=F("pk"), **keys)
        .filter(**{field: RawSQL('"merge_values"."value"', ())})
        .values_list("merge_id", *keys)[: offset + limit]
    )
    # SQL Django compiled from the queryset above, its values as parameters; the values' array is one more.
    sql, params = part.query.get_compiler(queryset.db).as_sql()
    array_type = _db_type(queryset.model, field, connections[queryset.db])
    ids = RawSQL(  # noqa: S611 - Django's SQL and quoted names around it; every value a parameter
        f'SELECT "merged"."merge_id" FROM UNNEST(%s::{array_type}[]) AS "merge_values"("value") '  # noqa: S608
        f'CROSS JOIN LATERAL ({sql}) AS "merged" ORDER BY {", ".join(outer)} LIMIT %s OFFSET %s',
        [values, *params, limit, offset],
    )
    return queryset.filter(pk__in=ids)


_merged.reads_value_by_value = True  # ``field`` (its first argument), one value at a time: config.statements


def merged_count(queryset, *, field: str, values, limit: int) -> int:
    """``count_rows(queryset, limit)`` for a queryset spread over several ``field`` values (a person's
    organizations), counted as ``merged_rows`` reads a page: at most ``limit`` rows of each value, each read by an
    equality of its own (a ``LATERAL`` join over the array of values), the total cut at ``limit``.

    ``organization_id IN (a, b, c)`` is best counted by a plan that depends on how big those organizations are
    (an index for small ones, the table for a person whose organizations hold most of it), so it cannot be
    prepared once for every person; each organization's rows walked in the list's order along its index are one
    plan whatever the organization, so this count is prepared as the page is when an index gives that order
    (``config.statements.prepares``). Where the database has no ``LATERAL`` (SQLite), the plain count."""
    values = list(values)
    if len(values) < 2 or connections[queryset.db].vendor != "postgresql":
        return count_rows(queryset, limit)
    part = statements.derive(queryset, _counted_part, (field, limit), values)
    if not statements.prepares(part):  # then in no order: each organization's rows read the cheapest way
        part = statements.derive(queryset.order_by(), _counted_part, (field, limit), values)
    array_type = _db_type(queryset.model, field, connections[queryset.db])
    template = (
        f'SELECT COUNT(*) FROM (SELECT 1 FROM UNNEST(%s::{array_type}[]) AS "merge_values"("value") '  # noqa: S608
        'CROSS JOIN LATERAL ({}) AS "merged" LIMIT %s) subquery'
    )
    return _count_around(part, template, lambda params: [values, *params, limit])


def _counted_part(queryset, field: str, limit: int, values: list):
    """The first ``limit`` rows of ``queryset`` (in its order) whose ``field`` is the value the ``LATERAL`` join
    gives (``values`` are the join's, not this statement's)."""
    return queryset.filter(**{field: RawSQL('"merge_values"."value"', ())}).values("pk")[:limit]


_counted_part.reads_value_by_value = True


def _db_type(model, path: str, connection) -> str:
    """The column type of ``path``'s values (``organization``, ``task__organization``): their array's type."""
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    field = model._meta.get_field(last)
    return getattr(field, "target_field", field).db_type(connection)
