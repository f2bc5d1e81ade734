"""config.handlers: the WSGI and ASGI handlers keep each path's URL match (docs/performance.md)."""

import json

import pytest
from django.test import RequestFactory, override_settings
from django.urls import Resolver404

from config import handlers

pytestmark = pytest.mark.django_db


def wsgi_get(path: str, **headers) -> tuple[str, dict]:
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", HTTP_ACCEPT="application/json")
    environ.update(headers)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = status

    application = handlers.get_wsgi_application()
    body = application(environ, start_response)
    try:
        content = b"".join(body)
    finally:
        body.close()
    return answer["status"], json.loads(content) if content else {}


@pytest.fixture(autouse=True)
def _no_kept_matches():
    handlers.resolve.cache_clear()
    yield
    handlers.resolve.cache_clear()


def test_a_path_is_resolved_once_and_its_match_kept():
    first, _ = wsgi_get("/api/v1/users/me")
    again, _ = wsgi_get("/api/v1/users/me")
    assert first.startswith("401")  # no sign-in
    assert again == first  # served alike
    info = handlers.resolve.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_each_path_keeps_its_own_arguments():
    one = handlers.resolve("/api/v1/tasks/00000000-0000-0000-0000-000000000001")
    other = handlers.resolve("/api/v1/tasks/00000000-0000-0000-0000-000000000002")
    assert one.func is other.func
    assert one.kwargs != other.kwargs
    assert handlers.resolve("/api/v1/tasks/00000000-0000-0000-0000-000000000001") is one


def test_a_path_that_matches_nothing_answers_404_and_is_not_kept():
    status, body = wsgi_get("/api/v1/no-such-endpoint")
    assert status.startswith("404")
    assert body["errors"][0]["code"] == "not_found"
    with pytest.raises(Resolver404):
        handlers.resolve("/no-such-page")
    assert handlers.resolve.cache_info().currsize == 1  # /api/v1/no-such-endpoint matched the API's catch-all


def test_a_new_url_configuration_drops_the_kept_matches():
    handlers.resolve("/api/v1/users/me")
    with override_settings(ROOT_URLCONF="tests.config.urls"):
        assert handlers.resolve.cache_info().currsize == 0


def test_a_kept_match_holds_no_list_of_the_patterns_tried_before_it():
    match = handlers.resolve("/api/v1/tasks/00000000-0000-0000-0000-000000000001/comments")
    assert match.url_name
    assert match.tried == []  # a hundred lists per path otherwise, kept for up to RESOLVED_PATHS paths
