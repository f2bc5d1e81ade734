"""Redis stopped while the API serves, and brought back, without restarting the app.

The app runs under gunicorn with production settings on this test database and on a Redis of its
own (not the machine's, which other tests share); the drill kills that Redis, checks what
docs/operations.md ("Faults") and docs/api/rate-limits.md promise, starts Redis again on the
same port and checks that everything recovers by itself.
"""

import time

import pytest
from django.db import connection

from devtools.processes import AppServer, database_url, production_env, wait_until
from notifications.models import DeliveryChannel, DeliveryState, NotificationDelivery
from tests.faults.conftest import PASSWORD

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app(redis_server, workspace):
    server = AppServer(
        production_env(
            DATABASE_URL=database_url(connection.settings_dict),
            REDIS_URL=redis_server.url,
            # Small limits, to see rate limiting off during the outage (writes) and working again once Redis
            # is back (sign-in's guess limit, and writes).
            RATELIMIT_LOGIN_ACCOUNT="3/m",
            RATELIMIT_WRITE_USER="2/m",
        )
    )
    try:
        yield server.start()
    finally:
        server.stop()


def login(app, email, password=PASSWORD):
    return app.request("POST", "/api/v1/auth/login", body={"email": email, "password": password})


def signed_in(app, email) -> tuple[str, str]:
    reply = login(app, email)
    assert reply.status == 200, reply
    return reply.body["access"], reply.body["session"]["id"]


def test_redis_outage_keeps_reads_working_fails_sign_in_closed_and_recovers(app, redis_server, workspace):
    owner, member = workspace["owner"], workspace["member"]

    # --- Redis up: signed in on two devices, reading.
    login_reply = login(app, owner.email)
    assert login_reply.status == 200, login_reply
    token = login_reply.body["access"]
    other_token, other_session = signed_in(app, owner.email)
    for access in (token, other_token):  # each session's state is now cached in Redis
        read = app.request("GET", "/api/v1/tasks", token=access)
        assert read.status == 200
        assert int(read.headers["ratelimit-remaining"]) < int(read.headers["ratelimit-limit"]), read.headers
    assert app.request("GET", "/health").status == 200

    # --- Redis killed.
    redis_server.kill()

    assert_reads_and_writes_work(app, token, workspace)
    assert_class_limits_fail_open(app, token, workspace)
    assert_health_names_cache_and_broker_down(app)
    assert_rate_limited_endpoints_fail_closed(app, login_reply.body["refresh"], member)

    # A session revoked while Redis is down is refused on its very next request.
    assert app.request("DELETE", f"/api/v1/sessions/{other_session}", token=token).status == 204
    revoked = app.request("GET", "/api/v1/tasks", token=other_token)
    assert revoked.status == 401, revoked
    assert revoked.is_envelope("session_revoked"), revoked.body
    assert app.request("GET", "/api/v1/tasks", token=token).status == 200

    # --- Redis back on the same port; the app was never restarted.
    redis_server.start()
    assert_recovered(app, owner, member, token=token, revoked_token=other_token)
    assert_class_limits_back(app, token, workspace)


def assert_reads_and_writes_work(app, token, workspace):
    """Reads by signed-in users keep working (the session check falls back to the database)."""
    member, task, organization = workspace["member"], workspace["task"], workspace["organization"]
    listed = app.request("GET", "/api/v1/tasks", token=token)
    assert listed.status == 200, listed
    assert [row["id"] for row in listed.body["data"]] == [str(task.pk)]
    assert app.request("GET", f"/api/v1/tasks/{task.pk}", token=token).status == 200
    assert app.request("GET", "/api/v1/users/me", token=token).status == 200

    # Writes too: the notification it causes is kept in the outbox (the broker is down), not lost.
    started = time.monotonic()
    created = app.request(
        "POST",
        "/api/v1/tasks",
        token=token,
        body={"organization": str(organization.pk), "title": "Written during the outage", "assignee": str(member.pk)},
    )
    assert created.status == 201, created
    assert time.monotonic() - started < 10, "a write waited too long on the broker that is down"
    kept = NotificationDelivery.objects.filter(
        notification__recipient=member, notification__target_id=created.body["id"]
    )
    assert {(d.channel, d.state) for d in kept} == {(DeliveryChannel.EMAIL, DeliveryState.PENDING)}


def create_task(app, token, workspace, title):
    body = {"organization": str(workspace["organization"].pk), "title": title}
    return app.request("POST", "/api/v1/tasks", token=token, body=body)


def assert_class_limits_fail_open(app, token, workspace):
    """The endpoint-class limits fail open: more writes than RATELIMIT_WRITE_USER pass, without RateLimit fields."""
    for n in range(3):
        created = create_task(app, token, workspace, f"Past the write limit {n}")
        assert created.status == 201, created
        assert not any(name.startswith("ratelimit-") for name in created.headers), created.headers


def assert_health_names_cache_and_broker_down(app):
    """/health names the cache and the broker as down; the database is fine."""
    health = app.request("GET", "/health")
    assert health.status == 503, health
    checks = health.body["checks"]
    assert (checks["cache"]["status"], checks["broker"]["status"], checks["database"]["status"]) == (
        "down",
        "down",
        "ok",
    )
    assert health.body["status"] == "degraded"


def assert_rate_limited_endpoints_fail_closed(app, refresh, member):
    """Sign-in and the other rate-limited endpoints fail closed: 503 service_unavailable, Retry-After."""
    for path, body in [
        ("/api/v1/auth/login", {"email": member.email, "password": PASSWORD}),
        ("/api/v1/auth/refresh", {"refresh": refresh}),
        ("/api/v1/auth/register", {"email": "new@drill.example", "username": "new", "password": PASSWORD}),
        ("/api/v1/auth/password/reset", {"email": member.email}),
        ("/api/v1/auth/password/reset/confirm", {"token": "x", "new_password": PASSWORD}),
    ]:
        refused = app.request("POST", path, body=body)
        assert refused.status == 503, (path, refused)
        assert refused.is_envelope("service_unavailable"), refused.body
        assert int(refused.headers["retry-after"]) > 0


def assert_recovered(app, owner, member, *, token, revoked_token):
    """Once Redis is back, everything recovers by itself, without restarting the app."""
    server_pid = app.process.pid

    def healthy():
        reply = app.request("GET", "/health")
        return reply.status == 200 and reply.body["status"] == "ok"

    wait_until(healthy, timeout=15, message="/health did not recover after Redis came back", interval=0.2)
    # Every worker of the app recovered, not just one: a run of answers in a row.
    for _ in range(10):
        assert app.request("GET", "/health").status == 200
    recovered = login(app, member.email)
    assert recovered.status == 200, recovered
    assert app.request("GET", "/api/v1/tasks", token=recovered.body["access"]).status == 200
    # The revoked session stays revoked; the other one still works.
    assert app.request("GET", "/api/v1/tasks", token=revoked_token).status == 401
    assert app.request("GET", "/api/v1/tasks", token=token).status == 200

    # Rate limiting is back in force (RATELIMIT_LOGIN_ACCOUNT=3/m for this drill).
    attempts = [login(app, owner.email, password="wrong-password-1").status for _ in range(4)]
    assert attempts == [401, 401, 401, 429], attempts
    limited = login(app, owner.email, password="wrong-password-1")
    assert limited.is_envelope("rate_limited")
    assert int(limited.headers["retry-after"]) > 0

    assert app.alive(), app.log_tail()
    assert app.process.pid == server_pid


def assert_class_limits_back(app, token, workspace):
    """The endpoint-class limits count again: two writes (RATELIMIT_WRITE_USER=2/m), then 429 with the fields."""
    answers = [create_task(app, token, workspace, f"After the outage {n}") for n in range(3)]
    assert [answer.status for answer in answers] == [201, 201, 429], answers
    assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["1", "0", "0"]
    assert answers[2].is_envelope("rate_limited")
    assert int(answers[2].headers["retry-after"]) == 30
