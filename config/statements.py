"""Statements compiled once per shape, then only bound: a list's SQL without Django's query building and compiling
on every request (docs/performance.md, issue 16's fixed cost).

A page of tasks is built the same way on every request: the same base queryset, a scoping ``filter()``, the
filters the request names, an ``order_by()``, a slice, and for the count the same with ``values("pk")``. Django
clones the query and resolves each lookup at every ``filter()``, then compiles the whole statement again (its
select list, joins, ordering and where clause): about a third of a list request's Python. Yet two requests that
differ only in their values (another organization, another assignee) send the same SQL with other parameters.

``shaped(queryset)`` returns a queryset that records ``filter(**lookups)``, ``order_by(*names)``,
``values(*names)`` and slices instead of applying them, as long as each lookup's value is a plain value (a UUID,
an int, a str, a date, a datetime, or a list or tuple of them; ``None`` and booleans are part of the shape). The
recorded operations without their values are the statement's *shape* (a choice, ``Status.DONE``, is recorded as
its value). ``bound(queryset)`` gives the statement
to send (``compiler.execute_sql()`` runs it as Django would, ``sql`` and ``params`` for a statement around it):

- the second time a shape is seen (the first is compiled as Django does, and only marked as seen), the query is
  built and compiled with the request's values, as Django would, and twice more with other values of the same
  types (sentinels, different in each build). The shape is kept only if the three statements are the same text,
  and each parameter is either the same in all three (a constant) or, in each, the value given for one lookup in
  that build (as is, or as the database is sent it: a UUID's hex on SQLite, a date's ISO form, a small integer as
  psycopg's ``Int2`` on PostgreSQL, the ``%value%`` pattern of ``icontains`` with ``LIKE``'s characters escaped). A
  value that changes the text, or that the parameters carry transformed any other way (the ``value%`` pattern of
  ``startswith``), leaves the shape unkept: such querysets are built and compiled by Django on every request, as
  before. A slice's bounds are part of the shape (Django writes ``LIMIT`` and ``OFFSET`` in the text);
- a learnt shape is bound: its statement with the request's values in the places found, and the compiler's
  description of the columns (for the records and the converters), without building or compiling anything;
- and, on PostgreSQL, a learnt shape whose plan does not depend on its values is sent prepared
  (``connection.prepared_cursors()``, ``config/postgresql/base.py``): PostgreSQL plans it on a connection's first
  runs, then keeps one plan for every value. That is a sliced statement whose filters are all equalities on the
  model's own columns (``exact``, ``isnull`` of a constant, ``in`` of one value), with an index of the model that
  leads with those columns and then the statement's ordering (``prepares()``): its rows are that index walked in
  order and stopped at the slice's end, whatever the organization or person. Anything else is planned for its
  values on every request, as before: a date range, several values, an ordering no index gives, or a count in no
  order may each be best read another way for another value (a count stopping at the first rows a scan of the
  table finds is cheap for a big organization and reads the whole table for a small one). ``cursor()`` gives the
  cursor for a statement around a bound one (a count), prepared alike.

So a page visited once, deep in a list, never pays the two extra compiles. At most ``MAX_SHAPES`` shapes (learnt or
seen) are kept per process, the least recently used dropped: a few kB each, the statement's text and parameters.
A recorded lookup is applied when the queryset is read, so a value Django refuses (a malformed UUID in a lookup of
one) raises there rather than at ``filter()``: give it cleaned values, as the lists' filters do.

A step a view builds with Django's own operations (a person's pages merged from several organizations, a search
with its ranking) is recorded whole with ``derived(function, arguments, *values)``: ``function`` and its
``arguments`` are part of the shape, ``values`` are values.

Anything else done to a shaped queryset (``exclude()``, ``annotate()``, a lookup's value that is a model instance or
an expression, reading ``.query``) applies the recorded operations to a copy of the query first, and from then
on it is an ordinary queryset. The base query is never changed in place: it is shared by the querysets recorded
from it, and each gets a copy of its own before Django may change it.
"""

import datetime
import enum
import threading
import uuid
from collections import OrderedDict

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable

# Shapes kept per process: a list has one per combination of its filters, its ordering and its page.
MAX_SHAPES = 1024
_UNCACHED = object()
_SEEN = object()
_VALUE_TYPES = (uuid.UUID, int, str, datetime.date, datetime.datetime)
_CONSTANT_TYPES = (bool, type(None))
_CONTAINERS = (list, tuple)
_LIKE_ESCAPES = BaseDatabaseOperations(connection=None)  # ``prep_for_like_query``, which no backend here overrides


class Unrecordable(Exception):
    """An operation a shape cannot describe: the queryset is built as Django builds it."""


def _plain(value):
    """A choice (``Status.DONE``) as its value, which is what the database is sent of it."""
    return value.value if isinstance(value, enum.Enum) and type(value.value) in _VALUE_TYPES else value


def _scalar(value, values: list):
    """A single value's part of the shape; a plain value is appended to ``values``."""
    value = _plain(value)
    kind = type(value)
    if kind in _CONSTANT_TYPES:
        return ("constant", value)
    if kind in _VALUE_TYPES:
        values.append(value)
        return ("value", kind)
    raise Unrecordable


def _leaf(value, values: list):
    """A lookup value's part of the shape (a value, or a list or tuple of them); its plain values are appended to
    ``values``."""
    kind = type(value)
    if kind in _CONTAINERS:
        return (kind, tuple(_scalar(item, values) for item in value))
    return _scalar(value, values)


def _rebuilt(spec, values) -> object:
    """A lookup value from its shape, its plain values taken in order from the iterator ``values``."""
    kind, detail = spec
    if kind == "constant":
        return detail
    if kind == "value":
        return next(values)
    return kind(detail_value if part == "constant" else next(values) for part, detail_value in detail)


def _plain_copy(queryset) -> QuerySet:
    """An ordinary queryset on a copy of ``queryset``'s query, none of its recorded operations applied."""
    return QuerySet(model=queryset.model, query=queryset._query.chain(), using=queryset._db, hints=queryset._hints)


def _apply(queryset: QuerySet, operations, values) -> QuerySet:
    """``queryset`` (a plain one) with the recorded ``operations`` applied, their values from ``values``."""
    values = iter(values)
    for operation, detail in operations:
        if operation == "filter":
            queryset = QuerySet.filter(queryset, **{name: _rebuilt(spec, values) for name, spec in detail})
        elif operation == "order_by":
            queryset = QuerySet.order_by(queryset, *detail)
        elif operation == "values":
            queryset = QuerySet.values(queryset, *detail)
        elif operation == "derive":
            function, arguments, kinds = detail
            queryset = function(queryset, *arguments, *(next(values) for _kind in kinds))
        else:  # "slice"
            queryset = QuerySet.__getitem__(queryset, slice(*detail))
    return queryset


class ShapedQuerySet(QuerySet):
    """A queryset recording its operations as a shape (module docstring); the mixin of ``shaped()``'s class."""

    _shape = ()  # the recorded operations, each (name, detail without values)
    _shape_values = ()  # their values, in order
    _shared = False  # ``_query`` is the base's, or another shaped queryset's: copied before any change

    @property
    def query(self):
        if self._shape or self._shared:
            self._materialize()
        return QuerySet.query.fget(self)

    @query.setter
    def query(self, value):
        self._shape, self._shape_values, self._shared = (), (), False
        QuerySet.query.fset(self, value)

    def _materialize(self) -> None:
        """Apply the recorded operations to a copy of the query: this queryset is an ordinary one from now on."""
        self._query = _apply(_plain_copy(self), self._shape, self._shape_values).query
        self._shape, self._shape_values, self._shared = (), (), False

    def _clone(self):
        if not (self._shape or self._shared):
            return super()._clone()
        clone = self.__class__(model=self.model, query=self._query, using=self._db, hints=self._hints)
        clone._sticky_filter = self._sticky_filter
        clone._for_write = self._for_write
        clone._prefetch_related_lookups = self._prefetch_related_lookups[:]
        clone._known_related_objects = self._known_related_objects
        clone._iterable_class = self._iterable_class
        clone._fields = self._fields
        clone._shape, clone._shape_values, clone._shared = self._shape, self._shape_values, True
        return clone

    def _recorded(self, operation, values=()):
        clone = self._clone()
        clone._shape = (*self._shape, operation)
        clone._shape_values = (*self._shape_values, *values)
        return clone

    def _recording(self) -> bool:
        """Whether an operation may be recorded: the queryset is still shaped and has no slice yet (Django refuses
        most operations after one, and says so when the operation is applied)."""
        return (self._shape or self._shared) and not any(name == "slice" for name, _detail in self._shape)

    def _filter_or_exclude_inplace(self, negate, args, kwargs):
        self.query  # noqa: B018 - a copy of its own, the recorded operations applied, before Django changes it
        super()._filter_or_exclude_inplace(negate, args, kwargs)

    def filter(self, *args, **kwargs):
        if args or not kwargs or not self._recording() or self._defer_next_filter:
            return super().filter(*args, **kwargs)
        values = []
        try:
            detail = tuple((name, _leaf(kwargs[name], values)) for name in sorted(kwargs))
        except Unrecordable:
            return super().filter(*args, **kwargs)
        return self._recorded(("filter", detail), values)

    def order_by(self, *field_names):
        if not self._recording() or not all(type(name) is str for name in field_names):
            return super().order_by(*field_names)
        return self._recorded(("order_by", field_names))

    def values(self, *fields, **expressions):
        if expressions or not self._recording() or not all(type(name) is str for name in fields):
            return super().values(*fields, **expressions)
        clone = self._recorded(("values", fields))
        clone._fields = fields
        clone._iterable_class = ValuesIterable
        return clone

    def derived(self, function, arguments: tuple, *values):
        """The queryset ``function(queryset, *arguments, *values)`` returns, recorded: ``function`` (a module's
        function) builds it from this queryset, made ordinary, with Django's own operations; ``arguments`` (hashable)
        are part of the shape, each of ``values`` is a value: a plain one (a str, a UUID, ...) or a list of UUIDs
        (sent as one array parameter). Learnt and bound as the rest: a person's first page merged from several
        organizations (``config.pagination.merged_rows``), a search (``tasks_app.search``).

        ``function.reads_value_by_value`` (true) says its statement reads the field named by ``arguments[0]`` one
        value at a time (``_walks_one_index``); ``function.annotates`` names the annotations it adds
        (``annotated``)."""
        if not self._recording() or not all(_derivable(value) for value in values):
            return function(self, *arguments, *values)
        kinds = tuple((list, len(value)) if type(value) is list else type(value) for value in values)
        return self._recorded(("derive", (function, arguments, kinds)), [_plain(value) for value in values])

    def __getitem__(self, k):
        if (
            type(k) is slice
            and self._recording()
            and k.step is None
            and all(bound is None or (type(bound) is int and bound >= 0) for bound in (k.start, k.stop))
            and self._result_cache is None
        ):
            return self._recorded(("slice", (k.start, k.stop)))
        return super().__getitem__(k)


def derive(queryset: QuerySet, function, arguments: tuple, *values) -> QuerySet:
    """``function(queryset, *arguments, *values)``: recorded as a step of ``queryset``'s shape when it is a shaped one
    (``ShapedQuerySet.derived``), applied at once to any other."""
    if isinstance(queryset, ShapedQuerySet):
        return queryset.derived(function, arguments, *values)
    return function(queryset, *arguments, *values)


def _derivable(value) -> bool:
    """Whether ``value`` may be a derived statement's value: plain, or a list of UUIDs (one array parameter)."""
    if type(value) is list:
        return all(type(item) is uuid.UUID for item in value)
    return type(_plain(value)) in _VALUE_TYPES


def annotated(queryset: QuerySet) -> frozenset:
    """The names of ``queryset``'s annotations, without applying a shaped queryset's recorded operations: its
    base query's and those its derived operations add (``function.annotates``)."""
    if not isinstance(queryset, ShapedQuerySet):
        return frozenset(queryset.query.annotations)
    added = (
        name
        for operation, detail in queryset._shape
        if operation == "derive"
        for name in getattr(detail[0], "annotates", ())
    )
    return frozenset((*queryset._query.annotations, *added))


_classes: dict[type, type] = {}


def shaped(queryset: QuerySet) -> QuerySet:
    """``queryset`` recording its operations as a shape (module docstring). Its query is never changed in place."""
    base = type(queryset)
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = (
            base if issubclass(base, ShapedQuerySet) else type(base.__name__, (ShapedQuerySet, base), {})
        )
    clone = queryset.all()
    clone.__class__ = cls
    clone._shared = True
    return clone


# --- binding ------------------------------------------------------------------------------------------------


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


_NOT_CONVERTED = object()


def _as_is(value):
    return value


def _hex(value):
    return value.hex if type(value) is uuid.UUID else _NOT_CONVERTED


def _iso(value):
    return value.isoformat() if type(value) is datetime.date else _NOT_CONVERTED


def _contains(value):
    """A ``contains`` or ``icontains`` lookup's pattern, as Django writes it (``PatternLookup``): the value with the
    characters ``LIKE`` reads escaped, between ``%``. Every backend here escapes as Django's base operations do."""
    if type(value) is not str:
        return _NOT_CONVERTED
    return "%" + _LIKE_ESCAPES.prep_for_like_query(value) + "%"


def _int_as(kind):
    def convert(value):
        return kind(value) if type(value) is int else _NOT_CONVERTED

    return convert


# How a value may reach the parameters: as it is, or as the database is sent it (SQLite: a UUID's hex, a date's
# ISO form; PostgreSQL: an integer as psycopg's type of its column's size, ``_place``), or as the pattern of a
# substring lookup (``_contains``). ``_place`` checks each against the request's own value too: a parameter any
# other way made from a value (a ``startswith`` pattern) matches none, and leaves its shape unkept.
_CONVERSIONS = (_as_is, _hex, _iso, _contains)


def _sentinels(values, round_: int) -> list:
    """Other values of the same types as ``values``, different from them, from each other and from those of the
    other round."""
    made = []
    for position, value in enumerate(values):
        kind = type(value)
        if kind is uuid.UUID:
            made.append(uuid.uuid4())
        elif kind is list:  # a derived statement's ids (``ShapedQuerySet.derived``)
            made.append([uuid.uuid4() for _item in value])
        elif kind is int:
            # Small numbers (a smallint column refuses a large one at compile time), unlike the value and the other
            # round's: 1000 + 2 * position + round, moved past the value if it is that.
            number = 1000 + 2 * position + round_
            made.append(number + 4 * len(values) if number == value else number)
        elif kind is str:
            made.append(f"\x1fshape-{round_}-{position}-{uuid.uuid4().hex}")
        elif kind is datetime.date:
            made.append(datetime.date(1000 + round_, 1, 1) + datetime.timedelta(days=position))
        else:  # datetime
            made.append(
                datetime.datetime(1000 + round_, 1, 1, tzinfo=value.tzinfo) + datetime.timedelta(seconds=position)
            )
    return made


# What a compiler knows of a statement's columns once compiled: what ``execute_sql``, ``results_iter`` and the records
# read of it.
_COLUMNS = ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")


class _Bound:
    """A shape's statement: its SQL, its parameters with the places of the values, the compiler's columns, and
    whether it is sent prepared."""

    __slots__ = ("base", "columns", "params", "places", "prepared", "sql")

    def __init__(self, base, sql, params, places, columns, prepared):
        self.base, self.sql, self.params, self.places, self.columns = base, sql, params, places, columns
        self.prepared = prepared

    def bind(self, values) -> list:
        params = list(self.params)
        for position, index, convert in self.places:
            params[position] = convert(values[index])
        return params


def _learn(queryset, sql, params, compiler):
    """The shape's ``_Bound``, or ``_UNCACHED`` when its values do not reach its statement as plain parameters."""
    using = queryset.db
    builds = []
    for round_ in (0, 1):
        sentinels = _sentinels(queryset._shape_values, round_)
        try:
            built = _apply(_plain_copy(queryset), queryset._shape, sentinels).query.get_compiler(using).as_sql()
        except Exception:  # a sentinel the lookup refuses (EmptyResultSet too): the shape is not kept
            return _UNCACHED
        if built[0] != sql or len(built[1]) != len(params):
            return _UNCACHED
        builds.append((sentinels, built[1]))
    places = _places(params, queryset._shape_values, builds)
    if places is None:
        return _UNCACHED  # a parameter made from a value but not the value itself (a LIKE pattern)
    columns = {name: getattr(compiler, name) for name in _COLUMNS}
    prepared = prepares(queryset)
    return _Bound(queryset._query, sql, list(params), tuple(places), columns, prepared)


def prepares(queryset) -> bool:
    """Whether ``queryset``'s statement is sent prepared once its shape is learnt: a shaped queryset, on a backend
    that prepares (``config/postgresql``), whose plan is the same for every value (``_walks_one_index``)."""
    if not (isinstance(queryset, ShapedQuerySet) and queryset._shape):
        return False
    if not hasattr(connections[queryset.db], "prepared_cursors"):
        return False
    key = (id(queryset._query), queryset._shape)
    known = _pinned.get(key)
    if known is None or known[0] is not queryset._query:
        known = (queryset._query, _walks_one_index(queryset))
        with _lock:
            if len(_pinned) >= MAX_SHAPES:
                _pinned.clear()
            _pinned[key] = known
    return known[1]


_pinned: dict = {}  # (id of the base query, shape) -> (the base query, whether its plan is pinned)


def _walks_one_index(queryset) -> bool:
    """Whether the best plan of the shape's statement is one walk of an index whatever the values: its filters are
    all equalities on the model's own columns (``exact``, ``in`` of one value, or ``in`` of several on the field a
    derived statement reads value by value; ``isnull`` is a constant, in the text), an index of the model leads with
    those columns followed by the statement's ordering, and the statement is sliced. Such a statement's rows are
    that index walked in order and stopped at the slice's end, for any organization or person. Anything else may
    be best read another way for other values (a count stopping at the first rows a scan of the table finds, which
    for a small organization is the whole table; a sort of every matching row), so it is planned for its values."""
    model = queryset.model
    # A derived operation's detail is (function, arguments, kinds). One that reads the field ``arguments[0]`` value
    # by value (a merged page, sliced) holds that field equal; any other (a search) has a plan of its values.
    derived = [detail for operation, detail in queryset._shape if operation == "derive"]
    if not all(getattr(function, "reads_value_by_value", False) for function, _arguments, _kinds in derived):
        return False
    merged = {_column(model, arguments[0]) for _function, arguments, _kinds in derived}
    ordering, sliced = (), bool(merged)
    for operation, detail in queryset._shape:
        if operation == "order_by":
            ordering = detail
        elif operation == "slice":
            sliced = detail[1] is not None
    equal = _equalities(queryset, merged)
    return equal is not None and sliced and bool(ordering) and _an_index_serves(model, equal, ordering)


def _equalities(queryset, merged: set) -> set | None:
    """The columns the shape's filters (and ``merged``) hold equal to one value, or None if a filter is anything
    else."""
    query, model = queryset._query, queryset.model
    equal = set(merged)
    for operation, detail in queryset._shape:
        if operation != "filter":
            continue
        for name, (kind, spec) in detail:
            lookups, parts, _expression = query.solve_lookup_type(name)
            lookup = lookups[-1] if lookups else "exact"
            column = _column(model, "__".join(parts))
            if lookup == "isnull" and kind == "constant":
                continue
            several = kind in _CONTAINERS and len(spec) > 1
            if column is None or lookup not in ("exact", "in") or (several and column not in merged):
                return None
            equal.add(column)
    return equal


def _an_index_serves(model, equal: set, ordering) -> bool:
    """Whether an index of ``model`` leads with the columns ``equal`` (in any order), then ``ordering``'s columns in
    its order (or all reversed)."""
    order = [(name.startswith("-"), _column(model, name.lstrip("-"))) for name in ordering]
    for index in model._meta.indexes:
        fields = [(name.startswith("-"), _column(model, name.lstrip("-"))) for name in index.fields]
        head, tail = fields[: len(equal)], fields[len(equal) : len(equal) + len(order)]
        if len(head) != len(equal) or {column for _descending, column in head} != equal:
            continue
        if [column for _descending, column in tail] != [column for _descending, column in order]:
            continue
        directions, wanted = [descending for descending, _ in tail], [descending for descending, _ in order]
        if directions == wanted or [not descending for descending in directions] == wanted:
            return True
    return False


def _column(model, path: str) -> str | None:
    """The name of the model's own field ``path`` names (``organization_id`` and ``organization`` alike, ``pk``),
    or None for a path through a relation or an annotation."""
    if "__" in path:
        return None
    if path == "pk":
        return model._meta.pk.name
    try:
        return model._meta.get_field(path).name
    except FieldDoesNotExist:  # an annotation
        return None


def _key(value):
    return tuple(value) if type(value) is list else value


def _places(params, values, builds) -> list | None:
    """``[(position, index, conversion), ...]``: each parameter that is, in the request's build and in each sentinels'
    build, the value at ``index`` of that build (as the conversion sends it). None when a parameter is neither that
    nor the same in the three builds (a constant). Found through the first sentinels' parameters, each of which is
    one sentinel's (they differ from each other), not by comparing every parameter with every value."""
    (first_sentinels, first_built), (_second_sentinels, second_built) = builds
    candidates: dict = {}
    for index, sentinel in enumerate(first_sentinels):
        for convert in _CONVERSIONS:
            converted = convert(sentinel)
            if converted is not _NOT_CONVERTED:
                candidates.setdefault(_key(converted), []).append((index, convert))
    places = []
    for position, param in enumerate(params):
        built = first_built[position]
        try:
            options = candidates.get(_key(built), ())
        except TypeError:  # a parameter no value can be (unhashable)
            options = ()
        place = _place(position, param, values, builds, options)
        if place is not None:
            places.append(place)
        elif not (_same(param, built) and _same(param, second_built[position])):
            return None
    return places


def _place(position: int, param, values, builds, options) -> tuple | None:
    """The first of ``options`` (``(index, conversion)``) the parameter at ``position`` is in all three builds."""
    (first_sentinels, first_built), (second_sentinels, second_built) = builds
    built = first_built[position]
    for index, convert in options:
        if isinstance(built, int) and type(built) not in (int, bool) and convert is _as_is:
            convert = _int_as(type(built))  # psycopg's Int2, Int4, Int8 on PostgreSQL
        if (
            _same(built, convert(first_sentinels[index]))
            and _same(second_built[position], convert(second_sentinels[index]))
            and _same(param, convert(values[index]))
        ):
            return position, index, convert
    return None


_shapes: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _remember(key, entry) -> None:
    with _lock:
        _shapes[key] = entry
        while len(_shapes) > MAX_SHAPES:
            _shapes.popitem(last=False)


def clear() -> None:
    """Forget every shape (tests; a change of the database's schema in a running process)."""
    with _lock:
        _shapes.clear()


def bound(queryset: QuerySet):
    """``(compiler, sql, params)`` of ``queryset``'s statement: bound from its shape when one is kept, else compiled
    by Django (and its shape learnt). ``compiler.execute_sql()`` runs that statement. Raises ``EmptyResultSet`` as
    Django's compiler does for a filter that matches nothing by itself."""
    if not (isinstance(queryset, ShapedQuerySet) and queryset._shape):
        return _compiled(queryset.query.get_compiler(queryset.db))
    using = queryset.db
    key = (id(queryset._query), using, connections[using].vendor, queryset._iterable_class, queryset._shape)
    entry = _shapes.get(key)
    if entry is None:  # seen once: compiled as Django does, learnt if it comes again (a page visited once never is)
        _remember(key, _SEEN)
        return _compiled(queryset.query.get_compiler(using))
    if entry is _SEEN or (entry is not _UNCACHED and entry.base is not queryset._query):
        compiler, sql, params = _compiled(_copy_of(queryset).query.get_compiler(using))
        _remember(key, _learn(queryset, sql, params, compiler))
        return compiler, sql, params
    if entry is _UNCACHED:
        return _compiled(queryset.query.get_compiler(using))
    with _lock:
        if key in _shapes:
            _shapes.move_to_end(key)
    params = entry.bind(queryset._shape_values)
    compiler = entry.base.get_compiler(using)
    for name, value in entry.columns.items():
        setattr(compiler, name, value)
    if entry.prepared:
        _prepare(compiler)
    return _compiled(compiler, entry.sql, params)


def _prepare(compiler) -> None:
    """``compiler.execute_sql()`` sends its statement on a cursor that binds on the server, so psycopg prepares it
    (``prepared_cursors()``); ``cursor(compiler)`` gives one for a statement around it."""
    execute_sql = compiler.execute_sql

    def prepared_execute_sql(*args, **kwargs):
        with compiler.connection.prepared_cursors():  # the cursor is made, and the statement sent, in here
            return execute_sql(*args, **kwargs)

    compiler.execute_sql = prepared_execute_sql
    compiler.prepared = True


def cursor(compiler):
    """A cursor for a statement around ``compiler``'s (``SELECT COUNT(*) FROM (...)``): one that prepares when
    the bound statement is sent prepared."""
    connection = compiler.connection
    if not getattr(compiler, "prepared", False):
        return connection.cursor()
    with connection.prepared_cursors():
        return connection.cursor()


def _compiled(compiler, sql=None, params=None):
    """``(compiler, sql, params)``, the compiler answering that statement from now on (``execute_sql`` asks it
    again): compiled once here when not given."""
    if sql is None:
        sql, params = compiler.as_sql()
    compiler.as_sql = lambda *args, **kwargs: (sql, params)
    return compiler, sql, params


def _copy_of(queryset):
    """A materialized copy, ``queryset`` itself left shaped (its values are still needed to learn the shape)."""
    copy = queryset._clone()
    copy.query  # noqa: B018 - applies the operations to a copy of the query
    return copy
