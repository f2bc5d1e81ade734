"""Sentry gets errors of the web and of tasks with the request id and the person's id, and nothing personal or
secret (config/sentry.py): sentry-sdk started for real, sending through its own transport to a receiver on
loopback, whose envelopes are read as Sentry would read them."""

import gzip
import json
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from celery.worker.request import Request
from django.urls import path
from django_guid import set_guid
from rest_framework.response import Response
from rest_framework.views import APIView

import config.urls
from config.celery import app
from config.sentry import scrub_text, sentry_init

REQUEST_ID = uuid.uuid4().hex
SECRETS = [
    "person@example.com",  # the person's email
    "body-secret-value",  # a request body
    "query-secret-value",  # a query string
    "cookie-secret-value",  # a cookie
    "203.0.113.9",  # the client's address
    "twp_tokensecret",  # a credential in an error message
]


class BoomView(APIView):
    required_scopes = {"GET": "tasks:read", "POST": "tasks:write"}

    def post(self, request):
        raise RuntimeError("could not do it for person@example.com with twp_tokensecret")

    def get(self, request):  # pragma: no cover - the test posts
        return Response({})


urlpatterns = [path("api/v1/boom", BoomView.as_view()), *config.urls.urlpatterns]


@app.task(name="tests.config.test_sentry.failing_task")
def failing_task(email):
    raise ValueError(f"task failed for {email}")


class Receiver(BaseHTTPRequestHandler):
    envelopes: list[bytes]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry():
    """sentry-sdk sending to a receiver on loopback; ``sentry.events()`` are the events it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sentry_init(
        dsn=f"http://publickey@127.0.0.1:{server.server_port}/1",
        environment="test",
        release="9.9.9",
        traces_sample_rate=0.0,
    )

    class Sentry:
        @staticmethod
        def received() -> str:
            sentry_sdk.flush(timeout=10)
            return "\n".join(envelope.decode() for envelope in server.envelopes)

        @classmethod
        def events(cls) -> list[dict]:
            found = []
            for line in cls.received().splitlines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict) and "exception" in item:
                    found.append(item)
            return found

    try:
        yield Sentry
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        server.shutdown()
        server.server_close()


def assert_nothing_personal(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "Bearer" not in text
    assert "sessionid" not in text


@pytest.mark.django_db
@pytest.mark.urls("tests.config.test_sentry")
def test_an_error_in_a_view_is_sent_with_the_request_id_and_the_person_id_only(sentry, client_for, user, settings):
    user.email = "person@example.com"
    user.save()
    client = client_for(user)
    client.cookies["sessionid"] = "cookie-secret-value"
    response = client.post(
        "/api/v1/boom?token=query-secret-value",
        {"password": "body-secret-value", "email": "person@example.com"},
        format="json",
        HTTP_X_REQUEST_ID=REQUEST_ID,
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 500
    (event,) = sentry.events()
    assert event["tags"]["request_id"] == REQUEST_ID
    assert event["user"] == {"id": str(user.pk)}
    assert event["environment"] == "test"
    assert event["release"] == "9.9.9"
    assert "RuntimeError" in json.dumps(event["exception"])
    # What the request says is cut to its method, path and a few headers (the test client has no WSGI environ).
    request = event.get("request") or {}
    assert set(request) <= {"method", "url", "headers"}
    assert set(request.get("headers") or {}) <= {"Host", "Accept", "Content-Type", "Content-Length", "X-Request-Id"}
    received = sentry.received()
    assert_nothing_personal(received)
    assert client.tokens["access"] not in received
    assert user.username not in received


def test_an_error_in_a_task_on_a_worker_is_sent_with_the_request_id_it_carries(sentry, monkeypatch):
    monkeypatch.setattr(app.conf, "task_always_eager", False)
    set_guid(REQUEST_ID)  # the web request that sends it
    queue = f"test-{uuid.uuid4().hex[:8]}"
    failing_task.apply_async(args=["person@example.com"], queue=queue)
    set_guid(None)
    with app.connection_for_read() as connection:
        message = connection.default_channel.basic_get(queue, no_ack=True)
    Request(message, app=app).execute()  # as a worker runs it
    (event,) = sentry.events()
    assert event["tags"]["request_id"] == REQUEST_ID
    assert event["user"] == {}
    assert "ValueError" in json.dumps(event["exception"])
    assert_nothing_personal(sentry.received())


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("mail to a.b+c@example.co.uk failed", "mail to [Filtered] failed"),
        ("from 192.0.2.44 and 2001:db8::1", "from [Filtered] and [Filtered]"),
        (
            "posting to https://discord.com/api/webhooks/1/abc?x=1 failed",
            "posting to https://discord.com/[Filtered] failed",
        ),
        ("Authorization: Bearer eyJabc.def.ghi", "Authorization: [Filtered]"),
        ("it took 12:30:45", "it took 12:30:45"),
    ],
)
def test_free_text_loses_addresses_emails_paths_and_credentials(text, scrubbed):
    assert scrub_text(text) == scrubbed
