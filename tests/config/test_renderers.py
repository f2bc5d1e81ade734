"""The API's JSON renderer (config/renderers.py) writes what DRF's writes, byte for byte, with orjson."""

import dataclasses
import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers

from config.renderers import JSONRenderer

pytestmark = pytest.mark.django_db


@dataclasses.dataclass
class Point:
    x: int
    y: int


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
VALUES = {
    "text": 'plain, "quoted", back\\slash, tab\t, newline\n, control \x01',
    "non-ASCII": "Émile, 東京, emoji \U0001f680",
    "line and paragraph separators": "a\u2028b\u2029c",
    "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, 0.1, 1e16, 1.2345678901234568e17, True, False, None],
    "an integer past 64 bits": 2**64,
    "aware datetime with microseconds": datetime.datetime(2026, 12, 1, 5, 6, 7, 891234, tzinfo=datetime.UTC),
    "aware datetime, another zone": datetime.datetime(2026, 7, 1, 5, 6, 7, tzinfo=PARIS),
    "naive datetime": datetime.datetime(2026, 12, 1, 5, 6, 7),
    "date": datetime.date(2026, 12, 1),
    "time": datetime.time(5, 6, 7, 120000),
    "timedelta": datetime.timedelta(days=1, seconds=5),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy translation": gettext_lazy("Not found."),
    "set": {3},
    "tuple": (1, "a"),
    "bytes": b"abc",
    "keys that are not strings": {1: "a", None: "b", 2.5: "c"},
    "nested": {"data": [{"id": "x", "mentions": [], "assignee": None}], "meta": {"page": 1}},
    "empty": {},
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_it_writes_what_drf_writes(value):
    data = {"value": value}
    assert JSONRenderer().render(data, "application/json") == renderers.JSONRenderer().render(data, "application/json")


def test_the_line_separators_are_escaped_as_drf_escapes_them():
    assert JSONRenderer().render({"t": "a\u2028b\u2029c"}) == b'{"t":"a\\u2028b\\u2029c"}'


def test_an_indent_asked_for_is_drfs_indented_json():
    data = {"a": [1, {"b": None}]}
    media_type = "application/json; indent=2"
    rendered = JSONRenderer().render(data, media_type, {})
    assert rendered == renderers.JSONRenderer().render(data, media_type, {})
    assert b"\n  " in rendered


@pytest.mark.parametrize("value", [object(), Point(1, 2)], ids=["an object", "a dataclass"])
def test_a_value_drf_cannot_write_is_refused_alike(value):
    for renderer in (JSONRenderer(), renderers.JSONRenderer()):
        with pytest.raises(TypeError):
            renderer.render({"value": value})


def test_a_float_with_a_negative_exponent_is_the_same_number_spelt_shorter():
    import json

    data = {"value": [1e-7, 2.5e-10, 5e-324]}
    assert JSONRenderer().render(data) == b'{"value":[1e-7,2.5e-10,5e-324]}'
    assert json.loads(JSONRenderer().render(data)) == json.loads(renderers.JSONRenderer().render(data)) == data


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


def test_a_float_that_is_not_a_number_is_written_null():
    assert JSONRenderer().render({"value": float("nan")}) == b'{"value":null}'


def test_the_api_answers_with_it(client_for):
    from rest_framework.settings import api_settings

    from organizations.models import Role
    from tests.factories import MembershipFactory

    assert [JSONRenderer] == api_settings.DEFAULT_RENDERER_CLASSES
    membership = MembershipFactory(role=Role.OWNER)
    api, organization = client_for(membership.user), membership.organization
    created = api.post("/api/v1/tasks", {"organization": str(organization.pk), "title": "line\u2028two"}, format="json")
    assert created.status_code == 201, created.content
    response = api.get("/api/v1/tasks", {"organization": str(organization.pk)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert b'"title":"line\\u2028two"' in response.content
    assert response.json()["data"][0]["title"] == "line\u2028two"
