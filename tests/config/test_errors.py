"""Every kind of failure answers the one error envelope, with a stable code and no internals."""

import logging

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.urls")]


def assert_envelope(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "message", "field"}
    assert code in [e["code"] for e in body["errors"]], body
    return body


def test_validation_error_gives_one_entry_per_field_problem(api_client):
    response = api_client.post(
        "/api/v1/_test/echo", {"name": "too long", "age": -1, "address": {"city": ""}, "tags": ["ok", "toolong"]}
    )
    body = assert_envelope(response, 400, "max_length")
    by_field = {e["field"]: e["code"] for e in body["errors"]}
    assert by_field == {"name": "max_length", "age": "min_value", "address.city": "blank", "tags.1": "max_length"}


def test_missing_fields_are_reported_as_required(api_client):
    body = assert_envelope(api_client.post("/api/v1/_test/echo", {}), 400, "required")
    assert {e["field"] for e in body["errors"]} == {"name", "age", "address"}


def test_non_field_error_has_null_field(api_client):
    body = assert_envelope(
        api_client.post("/api/v1/_test/echo", {"name": "bad", "age": 1, "address": {"city": "x"}}), 400, "invalid"
    )
    assert body["errors"][0]["field"] is None


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.post("/api/v1/_test/echo", data="{not json", content_type="application/json")
    assert_envelope(response, 400, "parse_error")


def test_body_that_is_a_list_is_a_validation_error(api_client):
    response = api_client.post("/api/v1/_test/echo", data="[1, 2]", content_type="application/json")
    assert_envelope(response, 400, "invalid")


def test_unsupported_media_type(api_client):
    response = api_client.post("/api/v1/_test/echo", data="name=x", content_type="text/plain")
    assert_envelope(response, 415, "unsupported_media_type")


def test_missing_credentials_answer_401(api_client):
    response = api_client.get("/api/v1/_test/private")
    assert_envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_answers_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_envelope(api_client.get("/api/v1/_test/private"), 401, "token_not_valid")


def test_signed_in_client_reaches_a_private_view(auth_client):
    response = auth_client.get("/api/v1/_test/private")
    assert response.status_code == 200
    assert response.json() == {"email": auth_client.user.email}


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("django-403", 403, "permission_denied"),
        ("django-404", 404, "not_found"),
        ("throttled", 429, "rate_limited"),
    ],
)
def test_django_and_drf_exceptions_map_to_the_envelope(api_client, kind, status, code):
    response = api_client.get(f"/api/v1/_test/raise/{kind}")
    assert_envelope(response, status, code)
    if status == 429:
        assert int(response["Retry-After"]) > 0


def test_an_application_errors_extra_detail_joins_its_entry(api_client):
    response = api_client.get("/api/v1/_test/raise/conflict-with-extra")
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "errors": [
            {"code": "last_owner", "message": "Hand these over first.", "field": None, "organizations": [{"id": "x"}]}
        ],
    }


def test_throttle_wait_becomes_retry_after(api_client):
    assert api_client.get("/api/v1/_test/raise/throttled")["Retry-After"] == "13"


def test_method_not_allowed(api_client):
    assert_envelope(api_client.delete("/api/v1/_test/echo"), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/nope", "/api/v1/_test/echo/extra"])
def test_unknown_api_paths_answer_404_in_the_envelope(api_client, path):
    assert_envelope(api_client.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_api_paths_answer_404_to_writes_too(method):
    """Found by the fuzzer: a write to a path no route matches (``/api/v1/tasks/not-a-uuid``) met Django's CSRF
    check before the catch-all and answered a 403 HTML page; clients send no CSRF token to a JSON API."""
    client = APIClient(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/tasks/not-a-uuid", {"title": "x"}, format="json")
    assert_envelope(response, 404, "not_found")


def test_unknown_path_404_even_with_debug(api_client, settings):
    settings.DEBUG = True
    assert_envelope(api_client.get("/api/v1/nothing-here"), 404, "not_found")


def test_unexpected_exception_is_logged_with_request_id_and_hidden(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="config.errors"):
        response = api_client.get("/api/v1/_test/boom")
    body = assert_envelope(response, 500, "server_error")
    text = response.content.decode()
    assert "hunter2" not in text
    assert "SELECT" not in text
    assert "Traceback" not in text
    request_id = response["X-Request-ID"]
    assert request_id in body["errors"][0]["message"]
    record = next(r for r in caplog.records if r.name == "config.errors")
    assert record.exc_info is not None
    assert getattr(record, "request_id", None) == request_id


@pytest.mark.parametrize("debug", [False, True])
def test_exception_in_a_plain_django_view_under_api_is_enveloped(api_client, settings, debug):
    settings.DEBUG = debug
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/_test/plain-boom")
    assert_envelope(response, 500, "server_error")
    assert "not a DRF view" not in response.content.decode()
