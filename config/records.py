"""Rows read for rendering, without model instances: a queryset's page as plain records.

A page of 20 tasks with their creator and assignee built as model instances is 60 ``Model.__init__`` calls, each
walking the model's fields, sending ``pre_init``/``post_init`` and setting every attribute through its descriptor:
most of what the ORM costs a list once its SQL is compiled (docs/performance.md, issue 16's fixed cost). A list
that only renders its rows needs none of that. ``records(queryset)`` reads the same statement (same columns, same
``select_related`` joins, same annotations, the same converters) and yields a ``Record`` per row: the selected
columns as attributes by their attribute names (``organization_id``), ``pk`` beside the primary key, each joined
relation as a nested ``Record`` (``None`` for a NULL foreign key), each annotation by its name.

A record has no methods, no deferred loading and no relations but those joined: reading a column the statement
did not select raises ``AttributeError`` instead of running a query per row. Use it for pages rendered by hand
(``TaskSerializer.to_representation``), never for rows a service changes.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.db.models.query import BaseIterable

from config import statements


class Record:
    """One row's columns as attributes (``Record.__dict__`` is the row)."""

    def __repr__(self) -> str:
        return f"Record(pk={self.__dict__.get('pk')!r})"


def _layout(select, klass_info) -> tuple:
    """Where a model's columns (and its joined relations') are in the statement's rows: ``(names, start, end,
    primary key's name, ((relation's attribute, its layout), ...))``."""
    fields = klass_info["select_fields"]
    if klass_info.get("from_parent"):
        raise NotImplementedError("records() reads no multi-table inheritance.")
    start, end = fields[0], fields[-1] + 1
    names = tuple(column[0].target.attname for column in select[start:end])
    model = klass_info["model"]
    relations = []
    for related in klass_info.get("related_klass_infos", ()):
        if related["reverse"]:
            raise NotImplementedError("records() reads forward relations only (select_related of a foreign key).")
        relations.append((related["field"].name, _layout(select, related)))
    return names, start, end, model._meta.pk.attname, tuple(relations)


def _record(layout, row) -> Record | None:
    names, start, end, pk, relations = layout
    values = dict(zip(names, row[start:end], strict=True))
    if values[pk] is None:  # a LEFT JOIN that found nothing: the foreign key is NULL
        return None
    values["pk"] = values[pk]
    for name, related in relations:
        values[name] = _record(related, row)
    record = Record()
    record.__dict__ = values
    return record


class RecordIterable(BaseIterable):
    """Yields a ``Record`` per row of the queryset's statement (``ModelIterable``'s SQL, not its instances)."""

    def __iter__(self):
        try:  # bound from its shape when the queryset is a shaped one (config.statements)
            compiler, _sql, _params = statements.bound(self.queryset)
        except EmptyResultSet:  # a filter that matches nothing by itself (``__in=[]``)
            return
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        layout = _layout(compiler.select, compiler.klass_info)
        annotations = tuple(compiler.annotation_col_map.items())
        for row in compiler.results_iter(results):
            record = _record(layout, row)
            for name, position in annotations:
                record.__dict__[name] = row[position]
            yield record


def records(queryset: QuerySet) -> QuerySet:
    """``queryset`` yielding ``Record`` rows instead of model instances; filters, slices, ``count()`` and
    ``values()`` work on it as on any queryset."""
    queryset = queryset.all()
    queryset._iterable_class = RecordIterable
    return queryset
