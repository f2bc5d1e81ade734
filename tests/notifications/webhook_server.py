"""A local HTTP server that receives webhooks in tests, scripted to answer as a receiver would."""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def verify_signature(secret: str, headers: dict, body: bytes, now: float | None = None, tolerance: int = 300) -> bool:
    """What a receiver does (the README shows the same; a test runs that snippet too)."""
    import time

    timestamp = headers["X-Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    given = headers["X-Webhook-Signature"].removeprefix("v1=")
    fresh = abs((now or time.time()) - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, given)


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    stall: threading.Event | None = None  # wait for this before answering
    stall_in_headers: threading.Event | None = None  # send the status line, then wait for this


class WebhookServer:
    def __init__(self):
        self.received: list[Received] = []
        self.script: list[Answer] = []  # answers in order; then ``default``
        self.default = Answer(200)
        self.answered: list[int] = []  # statuses actually written back
        self.request_seen = threading.Event()
        self._stalls: list[threading.Event] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.received.append(Received(self.path, dict(self.headers.items()), body))
                server.request_seen.set()
                answer = server.script.pop(0) if server.script else server.default
                if answer.stall is not None:
                    answer.stall.wait(60)
                if answer.stall_in_headers is not None:
                    try:
                        self.wfile.write(f"HTTP/1.1 {answer.status} OK\r\n".encode())
                        self.wfile.flush()
                    except OSError:
                        return
                    answer.stall_in_headers.wait(60)
                    self.close_connection = True
                    return
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    self.wfile.flush()
                    server.answered.append(answer.status)
                except OSError:
                    pass  # the client is gone (a killed worker)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        self.thread.start()
        return self

    def stall_next(self, status: int = 503) -> threading.Event:
        """The next request waits until the returned event is set (or the server stops), then answers."""
        event = threading.Event()
        self._stalls.append(event)
        self.script.append(Answer(status, stall=event))
        return event

    def stall_next_in_headers(self, status: int = 200) -> threading.Event:
        """The next request gets its status line at once, then nothing until the event is set."""
        event = threading.Event()
        self._stalls.append(event)
        self.script.append(Answer(status, stall_in_headers=event))
        return event

    def stop(self):
        for event in self._stalls:
            event.set()
        self.httpd.shutdown()
        self.httpd.server_close()
