"""Conditional requests through the API (config/conditional.py): ETag and 304 on reads, If-Match on writes."""

import hashlib
import time
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.conditional import PreconditionMixin
from organizations.models import Membership, Role
from tasks_app.models import Task
from tests.factories import DataExportFactory, ReportSettingsFactory, UserSessionFactory, WebhookEndpointFactory
from tests.fuzz.conftest import build_fuzz_world

pytestmark = pytest.mark.django_db

API = "/api/v1"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def errors(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.fixture
def task(org):
    from tasks_app.services import task_create

    return task_create(organization=org.organization, created_by=org.member, title="Draft", assignee=org.member)


# --- Reads --------------------------------------------------------------------------------------------


# Starting a sign-in answers a new state each time: an ETag, never the same twice.
NEW_EVERY_TIME = {f"{API}/oauth/authorize/{{provider}}"}


def json_reads():
    """Every GET of the schema that answers JSON: (path template, operationId)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        if path in NEW_EVERY_TIME:
            continue
        json = (operation or {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json")
        if path.startswith("/api/") and json and json["schema"].get("format") != "binary":  # a file streams
            yield pytest.param(path, id=operation["operationId"])


@pytest.mark.parametrize("path", list(json_reads()))
def test_every_json_read_answers_an_etag_and_304_when_it_matches(path, client_for, settings, monkeypatch):
    """Each read of the API, single resources and list pages alike, on the fuzz suite's world of real objects
    (a new read needs nothing: it is a test here as soon as the world names its path's objects)."""
    # Signed download links change from one step of their clock to the next (config/signed_links.py): the two
    # reads must not straddle a step's end.
    now = time.time()
    monkeypatch.setattr("config.signed_links.time", SimpleNamespace(time=lambda: now))
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = "client", "secret"  # a provider to sign in with
    world = build_fuzz_world("owner")
    if path.startswith(f"{API}/admin/"):
        world.caller.is_superuser = True
        world.caller.save(update_fields=["is_superuser"])
    DataExportFactory(user=world.caller, built=True)
    client = client_for(world.caller)
    url = path.format(**world.known_path_parameters(path))
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    assert response["ETag"] == etag_of(response.content)

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert not_modified.status_code == 304, url
    assert not_modified.content == b""
    assert not_modified["ETag"] == response["ETag"]


def test_if_none_match_with_another_etag_or_star(client_as, task):
    client = client_as("member")
    url = f"{API}/tasks/{task.pk}"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale", ' + etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH="W/" + etag).status_code == 304  # weak comparison on reads
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH="junk").status_code == 200  # malformed: ignored


def test_the_etag_changes_with_the_representation(client_as, task, org):
    client = client_as("member")
    url = f"{API}/tasks/{task.pk}"
    before = client.get(url)["ETag"]
    assert client.get(url)["ETag"] == before
    org.member.full_name = "Renamed"  # the assignee's name is part of the task's representation
    org.member.save()
    assert client.get(url)["ETag"] != before


def test_errors_and_other_methods_carry_no_etag(client_as, task):
    client = client_as("member")
    assert not client.get(f"{API}/tasks/00000000-0000-0000-0000-000000000000").has_header("ETag")
    assert not client.post(f"{API}/tasks/{task.pk}/comments", {"body": "hi"}).has_header("ETag")


# --- Writes: If-Match ----------------------------------------------------------------------------------


WRITES = {"patch", "put", "delete"}


def write_views():
    """Every view class routed under /api/ with PATCH, PUT or DELETE."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, callback in walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        if not route.startswith("api/") or view_class is None:
            continue
        actions = getattr(callback, "actions", None)  # a viewset's route: {method: action}
        methods = set(actions) if actions else {m for m in WRITES if hasattr(view_class, m)}
        if methods & WRITES:
            yield route, view_class


def test_every_view_that_changes_or_deletes_checks_if_match():
    """A new view with PATCH, PUT or DELETE must inherit config.conditional.PreconditionMixin (views on the
    organization base view already do); otherwise its If-Match would be ignored, and a client would
    overwrite what it never saw."""
    missing = sorted(
        {f"{route} ({cls.__name__})" for route, cls in write_views() if not issubclass(cls, PreconditionMixin)}
    )
    assert missing == []


class TestTask:
    def test_a_matching_if_match_writes_and_answers_the_new_etag(self, client_as, task):
        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"
        etag = client.get(url)["ETag"]
        response = client.patch(url, {"title": "Final"}, HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.content
        assert response["ETag"] == etag_of(response.content) != etag
        assert client.get(url)["ETag"] == response["ETag"]

    def test_a_stale_if_match_answers_412_with_the_current_representation(self, client_as, client_for, org, task):
        """Two editors: both read, the second writes first; the first's write, made on what it read, is refused."""
        first, second = client_as("member"), client_as("admin")
        url = f"{API}/tasks/{task.pk}"
        read_by_first = first.get(url)["ETag"]
        assert second.patch(url, {"title": "Second's"}, HTTP_IF_MATCH=second.get(url)["ETag"]).status_code == 200

        response = first.patch(url, {"title": "First's"}, HTTP_IF_MATCH=read_by_first)
        assert response.status_code == 412
        body = response.json()
        assert errors(response) == ["precondition_failed"]
        current = first.get(url)
        assert body["current"] == current.json()
        assert body["current"]["title"] == "Second's"
        assert response["ETag"] == current["ETag"]
        assert Task.objects.get(pk=task.pk).title == "Second's"

        merged = first.patch(url, {"title": "First's, merged"}, HTTP_IF_MATCH=response["ETag"])
        assert merged.status_code == 200

    def test_without_if_match_the_last_write_wins(self, client_as, task):
        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"
        client.patch(url, {"title": "One"})
        assert client.patch(url, {"title": "Two"}).status_code == 200

    def test_delete_with_if_match(self, client_as, task):
        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"
        etag = client.get(url)["ETag"]
        client.patch(url, {"priority": "urgent"})
        stale = client.delete(url, HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert stale.json()["current"]["priority"] == "urgent"
        assert Task.objects.filter(pk=task.pk).exists()
        assert client.delete(url, HTTP_IF_MATCH=stale["ETag"]).status_code == 204
        assert not Task.objects.filter(pk=task.pk).exists()

    @pytest.mark.parametrize(
        ("header", "status", "code"),
        [
            ("*", 200, None),
            (" * ", 200, None),
            ('"stale", {etag}', 200, None),
            ("W/{etag}", 412, "precondition_failed"),  # strong comparison: a weak tag never matches a write
            ('"stale"', 412, "precondition_failed"),
            ("{bare}", 400, "invalid_if_match"),  # unquoted
            ("junk", 400, "invalid_if_match"),
            ("", 400, "invalid_if_match"),
            ("junk, {etag}", 400, "invalid_if_match"),  # never checked on half a header
        ],
    )
    def test_if_match_forms(self, client_as, task, header, status, code):
        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"
        etag = client.get(url)["ETag"]
        response = client.patch(url, {"title": "x"}, HTTP_IF_MATCH=header.format(etag=etag, bare=etag.strip('"')))
        assert response.status_code == status, response.content
        if code:
            assert errors(response) == [code]

    def test_access_is_decided_before_the_precondition(self, client_as, task):
        url = f"{API}/tasks/{task.pk}"
        assert client_as("viewer").patch(url, {"title": "x"}, HTTP_IF_MATCH='"stale"').status_code == 403
        assert client_as("outsider").patch(url, {"title": "x"}, HTTP_IF_MATCH='"stale"').status_code == 404
        assert client_as("anonymous").patch(url, {"title": "x"}, HTTP_IF_MATCH='"stale"').status_code == 401

    def test_a_failed_write_changes_nothing(self, client_as, task):
        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"
        response = client.patch(url, {"title": ""}, HTTP_IF_MATCH=client.get(url)["ETag"])
        assert response.status_code == 400
        assert Task.objects.get(pk=task.pk).title == "Draft"

    def test_if_match_adds_a_fixed_number_of_queries(self, client_as, task, django_assert_num_queries):
        """The lock and the representation read again: the same few queries whatever the task holds."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = client_as("member")
        url = f"{API}/tasks/{task.pk}"

        def count(title, **headers):
            with CaptureQueriesContext(connection) as queries:
                assert client.patch(url, {"title": title}, **headers).status_code == 200
            return len(queries)

        client.get(url)  # what is cached about the person (config.person_cache) read once, as after any request
        plain = count("one")
        assert count("two", HTTP_IF_MATCH=client.get(url)["ETag"]) - plain == CONDITIONAL_EXTRA_QUERIES
        with django_assert_num_queries(plain):
            client.patch(url, {"title": "three"}, HTTP_IF_MATCH="*")  # * needs no lock: the resource exists


# The row lock (SELECT ... FOR UPDATE), the task read again with its mentions (one query) for the representation
# compared, and, in a test only, the savepoint of the transaction that holds the lock (SAVEPOINT, RELEASE: outside
# a test it is BEGIN and COMMIT, which are not queries).
CONDITIONAL_EXTRA_QUERIES = 4


@pytest.fixture
def patchable(org, client_for, task):
    """PATCH endpoints: (client, url, body). Each must answer the ETag its GET gives."""
    owner = client_for(org.owner)
    endpoint = WebhookEndpointFactory(organization=org.organization, url="https://hooks.example.com/x")
    ReportSettingsFactory(organization=org.organization)
    return {
        "task": (owner, f"{API}/tasks/{task.pk}", {"title": "Renamed"}),
        "organization": (owner, f"{API}/organizations/{org.id}", {"name": "Renamed"}),
        "member": (owner, f"{API}/organizations/{org.id}/members/{org.member.pk}", {"role": "admin"}),
        "webhook": (owner, f"{API}/organizations/{org.id}/webhooks/{endpoint.pk}", {"description": "Renamed"}),
        "report_settings": (owner, f"{API}/reports/{org.id}/settings", {"weekly_email": False}),
        "me": (owner, f"{API}/users/me", {"full_name": "Renamed"}),
    }


@pytest.mark.parametrize("name", ["task", "organization", "member", "webhook", "report_settings", "me"])
def test_every_patch_checks_if_match_and_answers_the_etag_of_its_get(name, patchable):
    client, url, body = patchable[name]
    etag = client.get(url)["ETag"]
    assert client.patch(url, body, HTTP_IF_MATCH='"stale"').status_code == 412
    response = client.patch(url, body, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response["ETag"] == client.get(url)["ETag"]
    again = client.patch(url, body, HTTP_IF_MATCH=etag)  # the ETag it was made on is stale now
    assert again.status_code == 412
    assert again.json()["current"] == client.get(url).json()


def test_a_member_deleted_meanwhile_is_404_not_412(org, client_for):
    owner = client_for(org.owner)
    url = f"{API}/organizations/{org.id}/members/{org.member.pk}"
    etag = owner.get(url)["ETag"]
    Membership.objects.filter(user=org.member).delete()
    assert owner.delete(url, HTTP_IF_MATCH=etag).status_code == 404


def test_changing_ones_role_is_refused_on_a_stale_etag(org, client_for):
    owner = client_for(org.owner)
    url = f"{API}/organizations/{org.id}/members/{org.member.pk}"
    etag = owner.get(url)["ETag"]
    Membership.objects.filter(user=org.member, organization=org.organization).update(role=Role.VIEWER)
    response = owner.patch(url, {"role": "admin"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["current"]["role"] == "viewer"


def test_a_method_the_route_lacks_is_405_whatever_if_match_says(user, client_for):
    other = UserSessionFactory(user=user)
    response = client_for(user).put(f"{API}/sessions/{other.pk}", {}, HTTP_IF_MATCH="junk")
    assert response.status_code == 405


def test_a_route_without_a_read_or_an_object(user, client_for):
    """DELETE /users/me/mfa/totp: an APIView with no GET and no object of its own."""
    response = client_for(user).delete(f"{API}/users/me/mfa/totp", HTTP_IF_MATCH='"x"')
    assert response.status_code == 412
    assert response.json()["current"] is None


def test_an_unknown_id_is_404_before_any_precondition(user, client_for):
    url = f"{API}/sessions/00000000-0000-0000-0000-000000000000"
    assert client_for(user).delete(url, HTTP_IF_MATCH='"x"').status_code == 404


def test_a_route_without_a_read_takes_only_if_match_star(user, client_for):
    client = client_for(user)
    other = UserSessionFactory(user=user)
    response = client.delete(f"{API}/sessions/{other.pk}", HTTP_IF_MATCH='"anything"')
    assert response.status_code == 412
    assert response.json()["current"] is None
    assert not response.has_header("ETag")
    assert client.delete(f"{API}/sessions/{other.pk}", HTTP_IF_MATCH="*").status_code == 204


# --- The schema ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def header_names(operation) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_the_schema_documents_etag_304_if_none_match_on_reads(schema):
    operation = schema["paths"]["/api/v1/tasks/{id}"]["get"]
    assert "If-None-Match" in header_names(operation)
    assert "ETag" in operation["responses"]["200"]["headers"]
    assert "304" in operation["responses"]


def test_the_schema_documents_if_match_and_412_on_writes(schema):
    for method in ("patch", "delete"):
        operation = schema["paths"]["/api/v1/tasks/{id}"][method]
        assert "If-Match" in header_names(operation)
        assert operation["responses"]["412"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/PreconditionFailedEnvelope"
        )
    assert "ETag" in schema["paths"]["/api/v1/tasks/{id}"]["patch"]["responses"]["200"]["headers"]
    current = schema["components"]["schemas"]["PreconditionFailedEnvelope"]["properties"]["current"]
    assert current["nullable"] is True


def test_every_write_operation_documents_if_match(schema):
    for path, methods in schema["paths"].items():
        for method in ("patch", "put", "delete"):
            if method in methods:
                assert "If-Match" in header_names(methods[method]), (method, path)
                assert "412" in methods[method]["responses"], (method, path)
