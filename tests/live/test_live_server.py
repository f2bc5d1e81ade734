"""The deployment of docker-compose.yml, for real: the API under gunicorn (WSGI) and the streams under
uvicorn (config/asgi.py), two processes sharing PostgreSQL and a Redis of their own. A stream opened over
HTTP on the ASGI process sees a task created through the API on the WSGI one (commit -> Redis Stream ->
the ASGI process's reader -> the stream), and ends with ``event: end`` when its server is told to stop.
"""

import http.client
import json
import time

import pytest
from django.db import connection

from devtools.processes import AppServer, AsgiAppServer, database_url, production_env
from organizations.models import Role
from organizations.services import membership_add, organization_create
from tests.factories import UserFactory
from tests.faults.conftest import PASSWORD, usable_in_production

pytestmark = [pytest.mark.deployment, pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(redis_server):
    env = production_env(DATABASE_URL=database_url(connection.settings_dict), REDIS_URL=redis_server.url)
    web, events = AppServer(env, workers=1), AsgiAppServer(env)
    try:
        yield web.start(), events.start()
    finally:
        events.stop()
        web.stop()


def read_event(response, *, until: float) -> dict:
    """The next frame's fields (``event``, ``data``...), comments skipped; the socket's timeout bounds each read."""
    frame: dict = {}
    while time.monotonic() < until:
        line = response.readline().decode()
        if line == "":
            raise EOFError("the stream ended")
        line = line.rstrip("\n")
        if line == "":
            if frame:
                return frame
            continue
        name, _, value = line.partition(":")
        if name:
            frame[name] = value.lstrip(" ")
    raise TimeoutError("no event in time")


def test_a_stream_over_http_sees_a_task_created_through_the_api_and_ends_on_shutdown(servers):
    web, events = servers
    owner = usable_in_production(UserFactory(username="live_owner", email="owner@live.example"))
    member = usable_in_production(UserFactory(username="live_member", email="member@live.example"))
    organization = organization_create(name="Live", created_by=owner)
    membership_add(organization=organization, email=member.email, role=Role.MEMBER, actor=owner)
    tokens = {}
    for user in (owner, member):
        reply = web.request("POST", "/api/v1/auth/login", body={"email": user.email, "password": PASSWORD})
        assert reply.status == 200, reply
        tokens[user] = reply.body["access"]

    stream = http.client.HTTPConnection("127.0.0.1", events.port, timeout=15)
    stream.request(
        "GET",
        "/api/v1/events",
        headers={
            "Authorization": f"Bearer {tokens[member]}",
            "X-Forwarded-Proto": "https",
            "Accept": "text/event-stream",
        },
    )
    response = stream.getresponse()
    assert response.status == 200, response.read()[:500]
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.getheader("X-Accel-Buffering") == "no"
    deadline = time.monotonic() + 30
    assert read_event(response, until=deadline) == {"retry": "2000"}

    created = web.request(
        "POST", "/api/v1/tasks", token=tokens[owner], body={"organization": str(organization.pk), "title": "Live!"}
    )
    assert created.status == 201, created
    frame = read_event(response, until=deadline)
    assert frame["event"] == "task.created"
    event = json.loads(frame["data"])
    assert event["data"]["id"] == created.body["id"]
    assert event["data"]["title"] == "Live!"
    assert event["organization"] == str(organization.pk)
    assert frame["id"] == event["id"]

    # The server is told to stop: the open stream ends at once, saying why, and the server exits.
    stopping = time.monotonic()
    events.process.terminate()
    assert read_event(response, until=deadline) == {"event": "end", "data": '{"reason": "shutdown"}'}
    events.process.wait(timeout=10)
    assert time.monotonic() - stopping < 5
    stream.close()
