"""Where a frontend developer starts: ``GET /``, ``GET /api/v1/``, and paths that are real but for a slash."""

import pytest
from django.urls import resolve

from config.views import API_NOT_FOUND

pytestmark = pytest.mark.django_db


def test_the_root_names_the_api_and_links_docs_health_and_the_api(api_client, settings):
    body = api_client.get("/").json()
    assert body["name"] == "Team Workspace API"
    assert body["version"] == settings.APP_VERSION
    links = body["links"]
    assert links == {
        "api": "http://testserver/api/v1/",
        "health": "http://testserver/health",
        "docs": "http://testserver/api/v1/docs/",
        "redoc": "http://testserver/api/v1/redoc/",
        "schema": "http://testserver/api/v1/schema/",
    }
    for url in links.values():
        assert api_client.get(url).status_code == 200, url


def test_the_root_links_no_docs_where_they_are_off(api_client, settings):
    settings.API_DOCS_ENABLED = False
    assert set(api_client.get("/").json()["links"]) == {"api", "health"}


def test_the_api_root_links_every_resource_root(api_client):
    body = api_client.get("/api/v1/").json()
    links = body["links"]
    assert links["tasks"] == "http://testserver/api/v1/tasks"
    assert links["members"] == "http://testserver/api/v1/organizations/{organization_id}/members"
    assert links["import"] == "http://testserver/api/v1/imports/{id}"
    paths = [url.removeprefix("http://testserver") for url in links.values()]
    for path in paths:
        concrete = path.replace("{organization_id}", "0" * 8 + "-0000-0000-0000-" + "0" * 12)
        concrete = concrete.replace("{id}", "0" * 8 + "-0000-0000-0000-" + "0" * 12).replace("{token}", "x" * 8)
        assert resolve(concrete).url_name != API_NOT_FOUND, path
    # Every first segment of the schema's paths is reachable from a link.
    schema = api_client.get("/api/v1/schema/?format=json").json()
    segments = {p.split("/")[3] for p in schema["paths"] if p.startswith("/api/v1/") and p != "/api/v1/"}
    linked = {p.split("/")[3] for p in paths}
    assert segments - linked == set(), "add a link to config.index.RESOURCE_ROOTS"


def test_signed_in_or_not_the_roots_answer_the_same(auth_client, api_client):
    assert auth_client.get("/api/v1/").json() == api_client.get("/api/v1/").json()


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/docs", "/api/v1/docs/"),
        ("/api/v1", "/api/v1/"),
        ("/api/v1/tasks/", "/api/v1/tasks"),
        ("/api/v1/tasks/?status=todo&page=2", "/api/v1/tasks?status=todo&page=2"),
        ("/api/v1/organizations/", "/api/v1/organizations"),
        ("/health/", "/health"),
    ],
)
def test_a_get_to_a_real_path_but_for_its_slash_is_redirected(api_client, path, location):
    for response in (api_client.get(path), api_client.head(path)):
        assert response.status_code == 301
        assert response["Location"] == location


def test_the_redirect_leads_to_the_answer(auth_client):
    response = auth_client.get("/api/v1/tasks/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/api/v1/tasks", 301)]


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_other_methods_answer_404_naming_the_right_path(auth_client, method):
    response = getattr(auth_client, method)("/api/v1/tasks/", {"title": "x"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["code"] == "not_found"
    assert error["suggested_path"] == "/api/v1/tasks"
    assert "/api/v1/tasks" in error["message"]


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/nothing/", "/api/v1/tasks//", "/api/", "/health/x"])
def test_unknown_api_paths_answer_the_envelope_without_a_hint(api_client, path):
    for response in (api_client.get(path), api_client.post(path, {})):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        [error] = response.json()["errors"]
        assert error == {"code": "not_found", "message": "No API endpoint at this path.", "field": None}
