"""A database that cannot be reached answers 503 ``service_unavailable``, never a 500 with internals.

The drill in tests/faults/test_postgres_restart.py shows it on a real PostgreSQL; these pin each path an
exception takes (DRF's handler, the API middleware, Django's handler500) on every backend.
"""

import logging

import pytest

pytestmark = pytest.mark.urls("tests.config.database_down_urls")


def assert_service_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "success": False,
        "errors": [
            {
                "code": "service_unavailable",
                "message": "A service this request needs is unavailable; try again shortly.",
                "field": None,
            }
        ],
    }
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("kind", ["operational", "interface"])
@pytest.mark.parametrize("where", ["drf", "plain"])
def test_database_errors_answer_503_in_the_envelope(api_client, caplog, where, kind):
    api_client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        response = api_client.get(f"/api/v1/_faults/{where}/{kind}")
    assert_service_unavailable(response)
    assert "10.0.0.5" not in response.content.decode()
    # Logged once, for operators, with what failed; not a second time by django.request.
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in logged] == ["config.errors"], [r.getMessage() for r in logged]
    assert "Service unavailable" in logged[0].getMessage()


def test_a_page_outside_the_api_answers_503_too(client):
    client.raise_request_exception = False
    response = client.get("/_faults/page/operational")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert int(response["Retry-After"]) > 0
    assert "10.0.0.5" not in response.content.decode()


def test_other_exceptions_still_answer_500(api_client):
    """Only database errors are 503; the rest keeps the 500 of tests/config/test_errors.py."""
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/_faults/drf/unknown-kind")  # a KeyError in the view
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "server_error"
