"""Strict input (docs/api/errors.md, "Strict input"): string fields refuse anything but a string, and lists in a
body refuse more items than their maximum before a single item is validated.

``test_every_serializer_is_strict`` walks every serializer class of the project (every one the URL
configuration's views import, and the MCP tools'), so a new serializer that declares DRF's own CharField or
an unbounded list fails here."""

import inspect
import uuid

import pytest
from django.urls import get_resolver
from rest_framework import serializers

from config.serializers import (
    MAX_LIST_LENGTH,
    BoundedListField,
    StrictCharField,
    StrictModelSerializer,
    StrictStringMixin,
)

PROJECT_APPS = (
    "accounts",
    "audit",
    "config",
    "imports",
    "mcp_server",
    "mfa",
    "notifications",
    "oauth_server",
    "org_webhooks",
    "organizations",
    "orgaudit",
    "pats",
    "privacy",
    "reports",
    "sessions_app",
    "sso",
    "tasks_app",
)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def project_serializers() -> list[type]:
    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every serializer module
    import mcp_server.tools  # noqa: F401 - the MCP tools' serializers

    found = {
        cls
        for cls in _subclasses(serializers.BaseSerializer)
        if cls.__module__.split(".")[0] in PROJECT_APPS and not inspect.isabstract(cls)
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _fields(field, path):
    """(path, field) for every field under ``field``, nested serializers and list items included."""
    yield path, field
    if isinstance(field, serializers.ListSerializer):
        yield from _fields(field.child, f"{path}[]")
    elif isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
        for name, child in field.fields.items():
            yield from _fields(child, f"{path}.{name}")
    elif isinstance(field, serializers.ListField | serializers.DictField):
        yield from _fields(field.child, f"{path}[]")
    elif isinstance(field, serializers.ManyRelatedField):
        yield from _fields(field.child_relation, f"{path}[]")


def lenient_fields(cls) -> list[str]:
    if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
        return []  # a base, such as StrictModelSerializer itself
    try:
        instance = cls()
    except TypeError:
        return []  # needs arguments: reached as a nested field of a serializer that builds it
    problems = []
    if issubclass(cls, serializers.ModelSerializer) and not issubclass(cls, StrictModelSerializer):
        problems.append(f"{cls.__name__}: a ModelSerializer not based on StrictModelSerializer")
    for path, field in _fields(instance, cls.__name__):
        if field.read_only:
            continue
        if isinstance(field, serializers.CharField) and not isinstance(field, StrictStringMixin):
            problems.append(f"{path}: DRF's CharField turns numbers into strings")
        if isinstance(field, serializers.ListField) and not isinstance(field, BoundedListField):
            problems.append(f"{path}: a list validated item by item before its length")
        if isinstance(field, serializers.ManyRelatedField):
            problems.append(f"{path}: many related ids, looked up before being counted")
    return problems


def test_the_walk_finds_the_serializers():
    names = {cls.__name__ for cls in project_serializers()}
    assert {"TaskWriteSerializer", "CommentCreateSerializer", "RegisterSerializer"} <= names
    assert len(names) > 80


def test_every_serializer_is_strict():
    problems = [problem for cls in project_serializers() for problem in lenient_fields(cls)]
    assert problems == []


class Probe(serializers.Serializer):
    name = StrictCharField(max_length=10)
    ids = BoundedListField(child=serializers.UUIDField(), required=False)


@pytest.mark.parametrize("value", [0, 1.5, True, None, ["a"], {"a": "b"}])
def test_a_string_field_refuses_what_is_not_a_string(value):
    serializer = Probe(data={"name": value})
    assert not serializer.is_valid()
    assert serializer.errors["name"][0].code in ("invalid", "null")


def test_a_string_is_still_a_string():
    serializer = Probe(data={"name": " ana "})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["name"] == "ana"


@pytest.mark.django_db
def test_a_long_list_is_refused_by_its_length_alone(django_assert_num_queries):
    too_many = [str(uuid.uuid4()) for _ in range(MAX_LIST_LENGTH)] + ["not a uuid"] * 10_000
    serializer = Probe(data={"name": "x", "ids": too_many})
    with django_assert_num_queries(0):
        assert not serializer.is_valid()
    assert [error.code for error in serializer.errors["ids"]] == ["max_length"]


def test_the_walk_catches_a_lenient_serializer():
    class Lenient(serializers.Serializer):
        name = serializers.CharField()
        ids = serializers.ListField(child=serializers.UUIDField())
        nested = Probe()

    assert lenient_fields(Lenient) == [
        "Lenient.name: DRF's CharField turns numbers into strings",
        "Lenient.ids: a list validated item by item before its length",
    ]
