"""Idempotency-Key on POST through the API (idempotency/middleware.py, docs/api/concurrency.md)."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.test.client import encode_multipart
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.retention import retention_run
from idempotency.middleware import _BoundaryBlind
from idempotency.models import IdempotencyKey
from imports.models import ImportJob
from pats.models import PersonalAccessToken
from tasks_app.models import Task
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks"
KEY = "6f1c5a2e-0c1b-4d5e-9f7a-1b2c3d4e5f60"


def codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


@pytest.fixture
def member(client_as):
    return client_as("member")


@pytest.fixture
def new_task(org):
    return {"organization": str(org.id), "title": "Ship it"}


def post(client, body, key=KEY, url=TASKS, **extra):
    return client.post(url, body, HTTP_IDEMPOTENCY_KEY=key, **extra)


class TestReplay:
    def test_a_retry_replays_the_first_answer_and_does_it_once(self, member, new_task):
        first = post(member, new_task)
        assert first.status_code == 201
        assert "Idempotent-Replayed" not in first
        again = post(member, new_task)
        assert again.status_code == 201
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
        assert again["Content-Type"] == "application/json"
        assert Task.objects.filter(title="Ship it").count() == 1

    def test_a_quoted_key_is_the_same_key(self, member, new_task):
        """The IETF draft writes the key as a structured-field string: "..."."""
        first = post(member, new_task)
        assert post(member, new_task, key=f'"{KEY}"').content == first.content
        assert Task.objects.filter(title="Ship it").count() == 1

    def test_a_4xx_answer_is_kept_too(self, member, org):
        body = {"organization": str(org.id), "title": ""}
        first = post(member, body)
        assert first.status_code == 400
        again = post(member, body)
        assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (400, first.content, "true")

    def test_without_a_key_every_post_does_it_again(self, member, new_task):
        member.post(TASKS, new_task)
        member.post(TASKS, new_task)
        assert Task.objects.filter(title="Ship it").count() == 2
        assert not IdempotencyKey.objects.exists()

    def test_another_body_with_the_same_key_answers_422(self, member, new_task, org):
        post(member, new_task)
        response = post(member, {**new_task, "title": "Something else"})
        assert response.status_code == 422
        assert codes(response) == ["idempotency_key_reused"]
        task = Task.objects.get(title="Ship it")
        other_path = post(member, {"body": "hi"}, url=f"{TASKS}/{task.pk}/comments")
        assert codes(other_path) == ["idempotency_key_reused"]
        assert Task.objects.count() == 1

    def test_keys_are_per_person(self, client_as, new_task):
        mine = post(client_as("member"), new_task)
        theirs = post(client_as("admin"), new_task)
        assert theirs.status_code == 201
        assert "Idempotent-Replayed" not in theirs
        assert theirs.json()["id"] != mine.json()["id"]
        assert Task.objects.filter(title="Ship it").count() == 2

    def test_a_replay_answers_only_its_owner_even_through_a_token_of_theirs(
        self, org, member, new_task, client_with_token
    ):
        first = post(member, new_task)
        token = client_with_token(org.member, scopes=["tasks:write"], organizations=[org.organization])
        replay = post(token, new_task)
        assert replay.content == first.content
        assert replay["Idempotent-Replayed"] == "true"


class TestInFlight:
    def test_a_request_still_running_with_the_key_answers_409(self, member, new_task):
        post(member, new_task)
        IdempotencyKey.objects.update(completed_at=None, status_code=None, response_body=b"")  # as if running
        response = post(member, new_task)
        assert response.status_code == 409
        assert codes(response) == ["idempotency_key_in_flight"]
        assert response["Retry-After"] == "1"

    def test_a_claim_whose_request_never_answered_lapses(self, member, new_task, settings):
        post(member, new_task)
        lapsed = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS + 1)
        IdempotencyKey.objects.update(completed_at=None, created_at=lapsed)
        response = post(member, new_task)
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response
        assert IdempotencyKey.objects.get().completed_at is not None

    def test_a_server_error_is_not_kept_and_the_retry_runs(self, member, new_task, monkeypatch):
        from tasks_app import services

        real = services.task_create
        monkeypatch.setattr(services, "task_create", lambda **kwargs: 1 / 0)
        failed = post(member, new_task)
        assert failed.status_code == 500
        assert not IdempotencyKey.objects.exists()
        monkeypatch.setattr(services, "task_create", real)
        assert post(member, new_task).status_code == 201

    def test_a_rate_limited_answer_is_not_kept(self, member, new_task, monkeypatch):
        from config import exceptions
        from tasks_app import services

        real = services.task_create

        def limited(**kwargs):
            raise exceptions.RateLimited(wait=5)

        monkeypatch.setattr(services, "task_create", limited)
        assert post(member, new_task).status_code == 429
        monkeypatch.setattr(services, "task_create", real)
        assert post(member, new_task).status_code == 201

    def test_a_replay_counts_against_the_persons_write_limit_not_an_address(self, member, new_task, settings):
        # Answered by the middleware, not the view: still counted as the signed-in person, in the view's class.
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "write_user": "3/m", "anonymous_ip": "1000/m"}
        first = post(member, new_task)
        assert (first.status_code, first["RateLimit-Limit"], first["RateLimit-Remaining"]) == (201, "3", "2")
        again = post(member, new_task)
        assert (again["Idempotent-Replayed"], again["RateLimit-Limit"], again["RateLimit-Remaining"]) == (
            "true",
            "3",
            "1",
        )
        post(member, new_task)
        refused = post(member, new_task)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["code"] == "rate_limited"
        assert "Idempotent-Replayed" not in refused


class TestExpiry:
    def test_after_24_hours_the_key_is_new_again(self, member, new_task, settings):
        post(member, new_task)
        IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=24, seconds=1))
        again = post(member, new_task)
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again
        assert Task.objects.filter(title="Ship it").count() == 2

    def test_just_before_24_hours_it_still_replays(self, member, new_task):
        post(member, new_task)
        IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=23, minutes=59))
        assert post(member, new_task)["Idempotent-Replayed"] == "true"

    def test_the_purge_removes_keys_older_than_24_hours(self, member, new_task):
        post(member, new_task)
        post(member, new_task, key="recent")
        IdempotencyKey.objects.filter(key=KEY).update(created_at=timezone.now() - datetime.timedelta(hours=25))
        (dry,) = retention_run(names=["idempotency_keys"], dry_run=True)
        assert dry.removed == 1
        (result,) = retention_run(names=["idempotency_keys"])
        assert (result.removed, result.error) == (1, "")
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


class TestWhichPostsTakeAKey:
    @pytest.mark.parametrize(
        "key",
        ["", " ", "x" * 256, "caf\u00e9", 'a"b', "a\\b", "tab\there", '"unterminated'],
        ids=["empty", "blank", "too-long", "non-ascii", "quote", "backslash", "control", "half-quoted"],
    )
    def test_a_malformed_key_answers_400(self, member, new_task, key):
        if key == " ":  # one space is printable: a (poor) key, accepted
            assert post(member, new_task, key=key).status_code == 201
            return
        response = post(member, new_task, key=key)
        assert response.status_code == 400
        assert codes(response) == ["invalid_idempotency_key"]
        assert not Task.objects.exists()

    def test_the_longest_key(self, member, new_task):
        assert post(member, new_task, key="k" * 255).status_code == 201

    def test_an_anonymous_post_is_never_kept(self, api_client, user):
        """A sign-in answers tokens: they are not stored, and never given to another caller."""
        body = {"email": user.email, "password": DEFAULT_PASSWORD}
        first = post(api_client, body, url="/api/v1/auth/login")
        again = post(api_client, body, url="/api/v1/auth/login")
        assert first.status_code == again.status_code == 200
        assert "Idempotent-Replayed" not in again
        assert first.json()["access"] != again.json()["access"]
        assert not IdempotencyKey.objects.exists()

    def test_a_failed_authentication_is_not_kept(self, api_client, new_task):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer junk")
        assert post(api_client, new_task).status_code == 401
        assert not IdempotencyKey.objects.exists()

    def test_an_answer_with_a_secret_shown_once_is_not_kept(self, client_for, org):
        client = client_for(org.member)
        expires_at = (timezone.now() + datetime.timedelta(days=30)).isoformat()
        body = {"name": "CI", "scopes": ["tasks:read"], "organizations": [str(org.id)], "expires_at": expires_at}
        first = post(client, body, url="/api/v1/users/me/tokens")
        second = post(client, body, url="/api/v1/users/me/tokens")
        assert first.status_code == second.status_code == 201, first.content
        assert first.json()["token"] != second.json()["token"]
        assert PersonalAccessToken.objects.count() == 2
        assert not IdempotencyKey.objects.exists()

    def test_a_live_stream_ticket_is_not_kept(self, member):
        first = post(member, {}, url="/api/v1/events/tickets")
        second = post(member, {}, url="/api/v1/events/tickets")
        assert first.status_code == second.status_code == 201, first.content
        assert first.json() != second.json()
        assert not IdempotencyKey.objects.exists()

    def test_other_methods_ignore_the_header(self, member, org):
        from tasks_app.services import task_create

        task = task_create(organization=org.organization, created_by=org.member, title="x")
        assert member.patch(f"{TASKS}/{task.pk}", {"title": "y"}, HTTP_IDEMPOTENCY_KEY="").status_code == 200
        assert not IdempotencyKey.objects.exists()


def test_a_keyed_post_adds_a_fixed_number_of_queries(member, new_task):
    """Who calls (the view's authentication, done once more), the claim, and the answer kept: whatever the body."""

    def count(body, **headers):
        with CaptureQueriesContext(connection) as queries:
            assert member.post(TASKS, body, **headers).status_code in (200, 201)
        return len(queries)

    member.get(TASKS)  # what is cached about the person (config.person_cache) read once, as by any request before
    plain = count(new_task)
    assert count({**new_task, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="one") - plain == KEYED_EXTRA_QUERIES
    assert count({**new_task, "title": "a" * 200}, HTTP_IDEMPOTENCY_KEY="two") - plain == KEYED_EXTRA_QUERIES
    # A replay runs no view at all: authentication and one read of the key.
    assert count({**new_task, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="one") == REPLAY_QUERIES


# The claim's INSERT (in a savepoint in a test: SAVEPOINT, RELEASE) and the UPDATE that keeps the answer (the
# repeated authentication reads the caller's user from the cache: config.person_cache).
KEYED_EXTRA_QUERIES = 4
# The INSERT that meets the existing key (in a test inside a savepoint: SAVEPOINT, ROLLBACK TO, RELEASE) and
# the read of the key (the user comes from the cache: config.person_cache).
REPLAY_QUERIES = 5


class TestMultipart:
    """CSV uploads: the fingerprint sets the boundary aside, since a browser draws a new one for each try."""

    def upload(self, client, org, boundary, content=b"title\nOne\n"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        body = encode_multipart(boundary, {"kind": "tasks", "file": SimpleUploadedFile("t.csv", content)})
        return client.post(
            f"/api/v1/organizations/{org.id}/imports",
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    @pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
    def test_a_retried_upload_replays_whatever_its_boundary(self, client_as, org, settings, streamed):
        if streamed:  # larger than the in-memory bound: hashed as it streams to a temporary file
            settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        admin = client_as("admin")
        content = b"title\n" + b"".join(b"Task %d\n" % i for i in range(200))
        first = self.upload(admin, org, "----first-boundary", content)
        assert first.status_code == 202, first.content
        again = self.upload(admin, org, "----WebKitFormBoundaryXyZ", content)
        assert again.status_code == 202
        assert again["Idempotent-Replayed"] == "true"
        assert ImportJob.objects.count() == 1
        other = self.upload(admin, org, "----third", content + b"Another\n")
        assert other.status_code == 422

    def test_a_body_too_large_to_fingerprint_answers_413(self, client_as, org, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        settings.IDEMPOTENCY_MAX_BODY_BYTES = 200
        response = self.upload(client_as("admin"), org, "b", b"title\n" + b"x" * 300)
        assert response.status_code == 413
        assert codes(response) == ["payload_too_large"]
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 10_000])
def test_the_boundary_is_set_aside_across_chunk_edges(chunk):
    def digest(body: bytes, boundary: bytes, size: int) -> str:
        sha = hashlib.sha256()
        blind = _BoundaryBlind(sha, boundary)
        for start in range(0, len(body), size):
            blind.feed(body[start : start + size])
        blind.close()
        return sha.hexdigest()

    one = b"--AaB\r\nfield\r\n--AaB\r\ndata --Aa not it\r\n--AaB--\r\n"
    other = one.replace(b"AaB", b"Zz9")
    assert digest(one, b"AaB", chunk) == digest(one, b"AaB", len(one)) == digest(other, b"Zz9", chunk)
    assert digest(one, b"AaB", chunk) != digest(one.replace(b"not it", b"not It"), b"AaB", chunk)


def test_the_schema_documents_the_key_on_the_posts_that_take_it():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    def headers(path):
        return {p["name"] for p in paths[path]["post"].get("parameters", []) if p["in"] == "header"}

    assert "Idempotency-Key" in headers("/api/v1/tasks")
    assert "422" in paths["/api/v1/tasks"]["post"]["responses"]
    assert "Idempotent-Replayed" in paths["/api/v1/tasks"]["post"]["responses"]["201"]["headers"]
    for exempt in ("/api/v1/auth/login", "/api/v1/users/me/tokens", "/api/v1/users/me/mfa/recovery-codes"):
        assert "Idempotency-Key" not in headers(exempt), exempt


def test_another_persons_key_is_not_theirs(new_task, client_for, org):
    stranger = client_for(UserFactory())
    post(client_for(org.member), new_task)
    response = post(stranger, new_task)
    assert response.status_code == 404  # not a member of the organization: their own answer, not a replay
    assert IdempotencyKey.objects.count() == 2
