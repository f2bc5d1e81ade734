"""Hostile bodies on every write endpoint: each answers a 4xx in the envelope (or succeeds harmlessly), never 5xx."""

import json

import pytest

from tests.security.test_authorization_matrix import API, ROWS, build_world, expected

pytestmark = pytest.mark.django_db

# The writes a superuser may make: the hostile bodies reach their validation.
WRITES = [
    pytest.param(row, id=row.label)
    for row in ROWS
    if row.method in ("POST", "PATCH") and expected(row.who, row.ok, "superuser") < 400
]


def _mutate_strings(value, make):
    if isinstance(value, dict):
        return {k: _mutate_strings(v, make) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate_strings(v, make) for v in value]
    if isinstance(value, str):
        return make(value)
    return value


def hostile_bodies(body):
    body = body if isinstance(body, dict) else {"x": "y"}
    yield "a list", json.dumps([body, body]), "application/json"
    yield "null", "null", "application/json"
    yield "a number", "42", "application/json"
    yield "malformed JSON", '{"title": "x",', "application/json"
    yield "nulls everywhere", json.dumps(dict.fromkeys(body)), "application/json"
    yield "huge strings", json.dumps(_mutate_strings(body, lambda s: s + "x" * 300_000)), "application/json"
    yield "NUL bytes", json.dumps(_mutate_strings(body, lambda s: s + "\x00")), "application/json"
    yield "nested junk", json.dumps(_mutate_strings(body, lambda s: {"$gt": [s]})), "application/json"
    yield "wrong content type", "title=x", "text/plain"
    yield "form encoded", "title=x", "application/x-www-form-urlencoded"
    yield "over the body limit", json.dumps({"x": "y" * 3_000_000}), "application/json"


# OAuth protocol endpoints answer their RFCs' error objects ({"error": ..., "error_description": ...}),
# which clients parse, and the sign-in page answers its HTML form with the error shown; other 4xx (a
# body that is not a form: 415, a rate limit) are the envelope.
OAUTH_PROTOCOL = {"token", "revoke-token", "introspect", "dcr-register", "sign-in"}


def assert_clean(response, label, *, protocol=False):
    assert response.status_code < 500, f"{label}: {response.status_code} {response.content[:300]!r}"
    if protocol and response.status_code >= 400 and response["Content-Type"].startswith("text/html"):
        return
    if protocol and response.status_code >= 400 and "error" in response.json():
        assert isinstance(response.json()["error"], str), label
        return
    if response.status_code >= 400:
        body = response.json()
        assert body["success"] is False, label
        assert all(set(e) == {"code", "message", "field"} for e in body["errors"]), label


@pytest.mark.parametrize("row", WRITES)
def test_hostile_bodies(client_for, row, django_capture_on_commit_callbacks):
    world = build_world(client_for)
    world.caller = world.users["superuser"]
    path, body, *kind = row.build(world)
    client = client_for(world.caller)
    for label, raw, content_type in hostile_bodies(body if not kind else None):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, row.method.lower())(f"{API}/{path}", data=raw, content_type=content_type)
        assert_clean(response, label, protocol=row.name in OAUTH_PROTOCOL)


@pytest.mark.parametrize(
    "path",
    [
        "tasks?search=" + "x" * 5000,
        "tasks?search=%00",
        "tasks?ordering=;drop table",
        "tasks?page=-1",
        "tasks?page_size=abc",
        "tasks?due_before=2030-13-45",
        "tasks?assignee=%00",
        "notifications?unread=%00",
        "admin/sessions?ip=not-an-ip",
        "reports/{org}?from=2030-01-01%00",
        "reports/{org}?from=99999-01-01",
    ],
)
def test_hostile_query_strings(client_for, path):
    world = build_world(client_for)
    response = client_for(world.users["superuser"]).get(f"{API}/{path.format(org=world.id)}")
    assert_clean(response, path)
