"""List filters and ordering that know no domain (docs/api/pagination.md, "Filters and ordering").

- A filter of a choice or an id takes several values, comma-separated (``?status=todo,in_progress``),
  repeated (``?status=todo&status=in_progress``), or both: ``MultipleValuesFilter``. Its parameter is the
  only kind ``config.middleware.SingleValuedQueryMiddleware`` lets through repeated
  (``multiple_value_parameters``).
- A value a filter cannot read (``?unread=junk``, an unknown choice, a malformed date or id) is a 400
  naming the parameter, never ignored: django-filter's backend raises its form's errors as a
  ``ValidationError``, and the boolean filter here refuses what is not a boolean.
- ``?ordering=`` takes only the fields the view lists (400 ``invalid_choice`` naming the allowed ones), and
  the schema lists them as the parameter's enum.
"""

import copy
from contextlib import contextmanager

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.filters import FilterMethod
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

# The most values one filter parameter takes: a longer list is refused before the database sees it.
MAX_FILTER_VALUES = 100


@contextmanager
def _nothing_to_copy(instance, name: str):
    """Gives the class's ``name`` (a dict) while ``instance.name`` is an empty one: for an ``__init__`` of a base
    class that deep-copies that dict onto the instance, when the instance will share it instead."""
    declared = getattr(instance, name)
    setattr(instance, name, {})
    try:
        yield declared
    finally:
        delattr(instance, name)  # the class's again


class _SharedFieldsForm:
    """A filter form whose instances share the class's fields instead of deep-copying them (Django copies each
    field and its widget per form, so that one form may change its own): a filter form is only cleaned, and a
    form field's ``clean`` changes nothing of it.

    A bound form holds only the fields its data names (or that are required): a filter absent from the query
    string applies nothing (django-filter skips an empty value), and cleaning all nine of the task list's fields
    for the one a request names was a tenth of a filtered page's Python work (issue 16's fixed cost). Absence is
    the widget's own ``value_omitted_from_data``, which knows a widget that reads several parameters."""

    def __init__(self, *args, **kwargs):
        with _nothing_to_copy(self, "base_fields") as base_fields:
            super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields = dict(base_fields)
            return
        self.fields = {
            name: field
            for name, field in base_fields.items()
            if field.required or not field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))
        }


class FilterSet(django_filters.FilterSet):
    """django-filter's ``FilterSet``, its form class built once per filter set rather than per request (a new
    class with a form field per filter each time), its forms sharing that class's fields (``_SharedFieldsForm``),
    and its filters copied shallowly rather than deep-copied per request (each one's choices, form field and
    arguments): together about a sixth of a filtered list's Python calls (docs/performance.md, issue 16's fixed
    cost). Every filter set here derives from it; none changes its filters or fields per request, which this
    relies on: a request's copy of a filter gets its own ``model`` and ``parent`` (the filter set of that
    request, whose methods a ``method=`` filter calls) and shares the rest with the class's."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        with _nothing_to_copy(self, "base_filters") as base_filters:
            super().__init__(data, queryset, request=request, prefix=prefix)
        model = self.queryset.model
        self.filters = {name: self._request_copy(declared, model) for name, declared in base_filters.items()}

    def _request_copy(self, declared, model):
        own = copy.copy(declared)
        own.model, own.parent = model, self
        if own.method is not None:  # its FilterMethod calls the method on the filter it holds: this copy's parent
            own.filter = FilterMethod(own)
        return own

    def get_form_class(self):
        owner = type(self)
        form_class = owner.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class = type(form_class.__name__, (_SharedFieldsForm, form_class), {})
            owner._form_class = form_class
        return form_class


class MultipleValuesWidget(forms.Widget):
    """Reads a query parameter given once or several times, each comma-separated: ``a,b&x=c`` is a, b, c."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else ([data[name]] if name in data else [])
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class MultipleValuesField(forms.Field):
    """A list of values, each cleaned by ``item`` (or a choice of ``choices``); ``MAX_FILTER_VALUES`` at most."""

    widget = MultipleValuesWidget
    default_error_messages = {
        "too_many": f"At most {MAX_FILTER_VALUES} values.",
    }

    def __init__(self, *, item: forms.Field | None = None, choices=None, **kwargs):
        kwargs.pop("null_label", None)
        self.item = item if item is not None else forms.ChoiceField(choices=choices or [])
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if len(value) > MAX_FILTER_VALUES:
            raise DjangoValidationError(self.error_messages["too_many"], code="too_many")
        return list(dict.fromkeys(self.item.clean(item) for item in value))


class MultipleValuesFilter(django_filters.MultipleChoiceFilter):
    """Rows whose ``field_name`` is any of the values given (``__in``); see the module docstring.

    ``choices`` (API values) or ``item`` (a form field: ``forms.UUIDField()``) say what one value is;
    ``to_value`` turns an API value into the stored one (a label into its number). A MultipleChoiceFilter
    so that the schema shows an array of repeated (``explode``) values, with their enum.
    """

    field_class = MultipleValuesField
    multiple_values = True

    def __init__(self, *args, to_value=None, **kwargs):
        kwargs.setdefault("distinct", False)
        self.to_value = to_value
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.to_value is not None:
            value = [self.to_value(item) for item in value]
        qs = qs.filter(**{f"{self.field_name}__in": value})
        return qs.distinct() if self.distinct else qs


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, any case); blank means absent; anything else is 400."""

    widget = forms.TextInput
    VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    default_error_messages = {"invalid": "Expected true or false."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    """django-filter's boolean filter reads junk as "not given"; this one refuses it."""

    field_class = StrictBooleanField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; a view's filterset that cannot read its parameters answers 400 in the envelope
    (``raise_exception``, the default, said here so that no subclass turns it off)."""

    raise_exception = True

    def filter_queryset(self, request, queryset, view):
        """The queryset as it is when the request names none of the filters: building and validating the filter
        set's form costs a request about a tenth of its time (issue 16's profile), for no filter applied."""
        filterset_class = self.get_filterset_class(view, queryset)
        named = request.query_params
        if filterset_class is not None and not any(
            value for name in filterset_class.base_filters for value in named.getlist(name)
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


def multiple_value_parameters(view_class, initkwargs=None) -> set[str]:
    """The query parameters of a view that take several values: its filterset's ``multiple_values`` filters
    (when its filter backends include django-filter's), and any it declares in ``multiple_value_parameters``."""
    if view_class is None:
        return set()
    names = set(getattr(view_class, "multiple_value_parameters", ()))
    backends = (initkwargs or {}).get("filter_backends", getattr(view_class, "filter_backends", ()))
    filterset_class = getattr(view_class, "filterset_class", None)
    if filterset_class is not None and any(issubclass(backend, DjangoFilterBackend) for backend in backends):
        names |= {
            name
            for name, declared in filterset_class.base_filters.items()
            if getattr(declared, "multiple_values", False)
        }
    return names


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` of the fields the view lists in ``ordering_fields`` (each also with ``-``, descending),
    comma-separated; anything else is 400 ``invalid_choice`` naming the allowed values. A view that lists
    none takes no ordering."""

    def allowed_values(self, view) -> list[str]:
        fields = [name for name, _label in self.get_valid_fields(None, view, {"request": None})]
        return [value for name in fields for value in (name, f"-{name}")]

    def get_valid_fields(self, queryset, view, context=None):
        declared = getattr(view, "ordering_fields", None)
        if not declared or declared == "__all__":
            return []
        return [(name, name) for name in declared]

    def remove_invalid_fields(self, queryset, fields, view, request):
        allowed = self.allowed_values(view)
        fields = [field for field in fields if field]  # "?ordering=" means the default order
        unknown = [field for field in fields if field not in allowed]
        if unknown:
            message = f"Unknown ordering: {', '.join(unknown)}. " + (
                f"Allowed: {', '.join(allowed)}." if allowed else "This list takes no ordering."
            )
            raise ValidationError({self.ordering_param: [message]}, code="invalid_choice")
        return fields

    def get_schema_operation_parameters(self, view):
        allowed = self.allowed_values(view)
        if not allowed:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Which fields to order by, comma-separated, each descending with `-`: "
                + ", ".join(f"`{value}`" for value in allowed)
                + ". Anything else is a 400.",
                "schema": {"type": "array", "items": {"type": "string", "enum": allowed}},
                "style": "form",
                "explode": False,
            }
        ]


class StableOrderingFilter(StrictOrderingFilter):
    """``?ordering=`` that always ends with a unique tie-breaker, so pages never overlap or skip rows."""

    tie_breakers = ("-created_at", "-pk")

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] += " Ties are broken by newest first."
        return parameters

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        named = {field.lstrip("-") for field in ordering}
        return ordering + [field for field in self.tie_breakers if field.lstrip("-") not in named]


def uuids_filter(**kwargs) -> MultipleValuesFilter:
    """A filter of one or several ids (``?assignee=<uuid>,<uuid>``)."""
    return extend_schema_field(OpenApiTypes.UUID)(MultipleValuesFilter(item=forms.UUIDField(), **kwargs))


def choices_filter(values, *, to_value=None, **kwargs) -> MultipleValuesFilter:
    """A filter of one or several of ``values``, the API's spelling (``?status=todo,done``); ``to_value``
    turns one into what is stored (a label into its number)."""
    values = list(values)
    declared = MultipleValuesFilter(choices=[(value, value) for value in values], to_value=to_value, **kwargs)
    # The schema would take the type from the model's field (a number for a labelled choice).
    return extend_schema_field({"type": "string", "enum": values})(declared)


def labelled_choices_filter(choices_class, **kwargs) -> MultipleValuesFilter:
    """``choices_filter`` of an ``IntegerChoices`` spoken as its labels (``LabelChoiceField``'s filter)."""
    members = {member.label: member for member in choices_class}
    return choices_filter(members, to_value=members.__getitem__, **kwargs)
