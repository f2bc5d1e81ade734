"""Deeply nested JSON bodies answer 400 ``parse_error`` on every write endpoint, never 5xx.

The endpoints are the write rows of the authorization matrix, which fails when an endpoint of the URL
configuration has no row: a write endpoint added later is covered without a line here. What each caller gets is exact:

- an anonymous caller on an endpoint that needs sign-in gets 401: authentication comes first, and
  DRF parses a body only when the view reads it;
- an endpoint that takes no body answers as it would without one (the body is never parsed);
- a caller its permission classes refuse (the owner on a superuser-only endpoint) gets that 403;
- an endpoint that takes only multipart uploads answers 415 to any JSON body;
- every other call reads the body and answers 400 ``parse_error``.
"""

import json

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config.parsers import MAX_DEPTH, TOO_DEEP, nesting_depth_exceeds
from tests.security.test_authorization_matrix import API, ROWS, build_world, expected

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# One row per endpoint and method (the first, where an endpoint has several cases).
WRITES = list({(row.name, row.method): row for row in reversed(ROWS) if row.method in WRITE_METHODS}.values())


def deep_array(levels: int) -> str:
    return "[" * levels + "]" * levels


def deep_object(levels: int) -> str:
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


DEEP_BODIES = {
    f"{shape} {levels:,} levels": make(levels)
    for levels in (1_000, 100_000)
    for shape, make in (("array", deep_array), ("object", deep_object))
}


def expected_answer(row, caller: str, body, kind: list) -> tuple[int, str | None]:
    """(status, error code or None) that ``caller`` gets for a deep JSON body; see the module docstring."""
    normal_status = expected(row.who, row.ok, caller)
    # A public endpoint can answer 401 too (a bad refresh token, read from the body): only one that
    # turns away the anonymous caller but not the owner is refused before its body is read.
    needs_sign_in = expected(row.who, row.ok, "anonymous") == 401 and expected(row.who, row.ok, "owner") != 401
    if caller == "anonymous" and needs_sign_in:
        return 401, "not_authenticated"
    if body is None:
        return normal_status, None  # takes no body: never parsed
    if normal_status == 403:
        return 403, "permission_denied"  # permission classes run before the view reads the body
    if kind == ["multipart"]:
        return 415, "unsupported_media_type"
    return 400, "parse_error"


def test_the_write_endpoints_are_found():
    assert len(WRITES) >= 20
    assert ("auth-login", "POST") in {(row.name, row.method) for row in WRITES}


@pytest.mark.parametrize("row", [pytest.param(row, id=row.label) for row in WRITES])
@pytest.mark.parametrize("caller", ["owner", "anonymous"])
def test_deep_bodies_on_every_write_endpoint(api_client, client_for, row, caller, django_capture_on_commit_callbacks):
    for label, raw in DEEP_BODIES.items():
        world = build_world(client_for)  # a fresh one each time: a call without a body may change the state
        world.caller = None if caller == "anonymous" else world.users[caller]
        path, body, *kind = row.build(world)
        client = api_client if caller == "anonymous" else client_for(world.users[caller])
        status, code = expected_answer(row, caller, body, kind)
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, row.method.lower())(f"{API}/{path}", data=raw, content_type="application/json")
        where = f"{row.method} {path} as {caller} with {label}"
        assert response.status_code == status, f"{where}: {response.status_code} {response.content[:300]!r}"
        if response.status_code >= 400:
            answer = response.json()
            assert answer["success"] is False, where
            if code is not None:
                assert [e["code"] for e in answer["errors"]] == [code], where
            if code == "parse_error":
                assert answer["errors"][0]["message"] == TOO_DEEP, where


def test_sign_in_with_a_deep_body_is_a_parse_error_for_anyone(api_client):
    response = api_client.post(f"{API}/auth/login", data=deep_array(1_000), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "errors": [{"code": "parse_error", "message": TOO_DEEP, "field": None}],
    }


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 900, 990])
def test_bodies_just_over_the_limit_or_under_the_interpreters_are_refused(api_client, levels):
    for raw in (deep_array(levels), deep_object(levels)):
        response = api_client.post(f"{API}/auth/login", data=raw, content_type="application/json")
        assert response.status_code == 400, levels
        assert response.json()["errors"][0]["code"] == "parse_error"


def test_depth_is_counted_in_arrays_and_objects_alike():
    assert not nesting_depth_exceeds(json.loads(deep_array(MAX_DEPTH)), MAX_DEPTH)
    assert not nesting_depth_exceeds(json.loads(deep_object(MAX_DEPTH)), MAX_DEPTH)
    assert nesting_depth_exceeds(json.loads(deep_array(MAX_DEPTH + 1)), MAX_DEPTH)
    assert nesting_depth_exceeds(json.loads(deep_object(MAX_DEPTH + 1)), MAX_DEPTH)
    wide_then_deep = {"flat": list(range(1000)), "deep": [{"x": json.loads(deep_array(MAX_DEPTH - 3))}]}
    assert not nesting_depth_exceeds(wide_then_deep, MAX_DEPTH)
    wide_then_deep["deep"][0]["x"] = json.loads(deep_array(MAX_DEPTH - 2))
    assert nesting_depth_exceeds(wide_then_deep, MAX_DEPTH)


class EchoBody(APIView):
    """Answers the body back as it came, or as a validation error's detail (the envelope's path)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        if request.query_params.get("as") == "error":
            raise ValidationError({"body": request.data})
        return Response(request.data)


@pytest.mark.parametrize("make", [deep_array, deep_object])
def test_the_deepest_accepted_body_can_be_echoed_and_rendered(make):
    """Whatever the parser lets through can be validated, flattened into the envelope and rendered back."""
    view = EchoBody.as_view()
    factory = APIRequestFactory()
    raw = make(MAX_DEPTH)

    echoed = view(factory.post("/echo", data=raw, content_type="application/json"))
    echoed.render()
    assert echoed.status_code == 200
    assert json.loads(echoed.content) == json.loads(raw)

    as_error = view(factory.post("/echo?as=error", data=raw, content_type="application/json"))
    as_error.render()
    assert as_error.status_code == 400
    assert json.loads(as_error.content)["success"] is False

    too_deep = view(factory.post("/echo", data=make(MAX_DEPTH + 1), content_type="application/json"))
    too_deep.render()
    assert too_deep.status_code == 400
    assert json.loads(too_deep.content)["errors"][0]["code"] == "parse_error"
