"""Organization webhooks: N events delivered to a local receiver, against that receiver's own ceiling.

Starts a threaded HTTP receiver on loopback (keep-alive, answers 204 at once). First its ceiling: N
POSTs of a typical body straight to it over one persistent connection, one at a time. Then the
path: one organization with one endpoint (the receiver), N task changes told through
``organizations.changes.organization_change`` (each in its transaction, as a service does: the
outbox row is written there), each delivery handed on commit to a pool of ``--workers`` threads
that run the real delivery service (claim, Standard Webhooks signature, the SSRF-safe transport
with a new connection per request, the outcome written back). Prints events/s of both, their ratio,
and the p50/p99 end-to-end latency (change committed -> request received) of the streamed run; then
the same number of changes committed first (a backlog, as after an outage) and drained by the pool:
the delivery rate against the ceiling.

    .venv/bin/python -m benchmarks webhooks --events 10000 --workers 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workspace .venv/bin/python -m benchmarks webhooks
"""

import argparse
import http.client
import os
import queue
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.harness import describe_backends, setup_django, test_database


class Receiver:
    """Counts what it gets and when, keyed by ``webhook-id``."""

    def __init__(self):
        self.received: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive for the ceiling's persistent client

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                with receiver.lock:
                    receiver.count += 1
                    msg_id = self.headers.get("webhook-id")
                    if msg_id:
                        receiver.received[msg_id] = now
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ceiling(receiver: Receiver, events: int, body: bytes) -> float:
    """Events/s of one persistent client POSTing straight to the receiver, one at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    started = time.perf_counter()
    for _ in range(events):
        connection.request("POST", "/ceiling", body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
    elapsed = time.perf_counter() - started
    connection.close()
    return events / elapsed


def deliver(receiver: Receiver, events: int, workers: int) -> tuple[float, float, list[float], dict]:  # noqa: C901 - one scenario, kept in one place
    from django.conf import settings
    from django.db import connection, transaction

    from org_webhooks import services
    from org_webhooks.models import WebhookDelivery
    from organizations.changes import Action, organization_change
    from tasks_app.models import Task
    from tests.factories import MembershipFactory, TaskFactory, WebhookEndpointFactory

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.ORG_WEBHOOK_MAX_IN_FLIGHT = workers
    owner = MembershipFactory().user
    organization = owner.memberships.get().organization
    WebhookEndpointFactory(organization=organization, url=f"http://127.0.0.1:{receiver.port}/in", events=["*"])
    task = TaskFactory(organization=organization, created_by=owner, title="Benchmark task")
    task = Task.objects.select_related("created_by", "assignee").get(pk=task.pk)

    work: queue.Queue = queue.Queue()
    committed: dict[str, float] = {}
    outcomes: dict[str, int] = {}
    # Hand each delivery to the pool when its change commits, as Celery would get it from the broker.
    WebhookDelivery.job_enqueue = classmethod(lambda cls, pk: transaction.on_commit(lambda: work.put(pk)))

    def worker():
        try:
            while (pk := work.get()) is not None:
                state = services.delivery_attempt(delivery_id=pk).state
                outcomes[state] = outcomes.get(state, 0) + 1
        finally:
            connection.close()

    def tell(n: int) -> str:
        with transaction.atomic():
            change = organization_change(
                organization_id=organization.pk,
                action=Action.TASK_UPDATED,
                actor=owner,
                target=task,
                before={"title": f"#{n - 1}"},
                after={"title": f"#{n}"},
            )
        return str(change.id)

    def run_pool(fill) -> float:
        pool = [threading.Thread(target=worker) for _ in range(workers)]
        started = time.perf_counter()
        for thread in pool:
            thread.start()
        fill()
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join()
        return time.perf_counter() - started

    # 1. Streamed: changes as they happen, delivered as they commit (latency; the rate is the producer's).
    def stream():
        for n in range(events):
            msg_id = tell(n)
            committed[msg_id] = time.time()

    streamed = events / run_pool(stream)
    latencies = [receiver.received[msg_id] - at for msg_id, at in committed.items() if msg_id in receiver.received]

    # 2. A backlog: N outbox rows already committed, drained by the pool (the delivery rate itself).
    backlog: list = []
    WebhookDelivery.job_enqueue = classmethod(lambda cls, pk: backlog.append(pk))
    for n in range(events):
        tell(n)
    drained = events / run_pool(lambda: [work.put(pk) for pk in backlog])
    return streamed, drained, latencies, outcomes


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4, help="delivery threads (Celery worker processes stand-in)")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    if connection.vendor == "sqlite":
        # Workers write from several threads: a file (which waits for its lock), not shared-cache memory.
        # Write transactions take the lock when they begin, so concurrent ones wait instead of deadlocking.
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tempfile.mkdtemp(), "webhooks-benchmark.sqlite3")
        connection.settings_dict["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    receiver = Receiver()
    try:
        with test_database():
            print(f"{describe_backends()} events={args.events} workers={args.workers}")
            body = b'{"type":"task.updated","timestamp":"2030-01-01T00:00:00Z","data":{"title":"' + b"x" * 600 + b'"}}'
            top = ceiling(receiver, args.events, body)
            streamed, drained, latencies, outcomes = deliver(receiver, args.events, args.workers)
    finally:
        receiver.stop()
    print(f"receiver ceiling (one persistent client): {top:,.0f} events/s")
    print(f"backlog delivered through org_webhooks:   {drained:,.0f} events/s (ratio {drained / top:.2f})")
    print(f"streamed (one change per transaction):    {streamed:,.0f} events/s (the producer's pace)")
    print(f"outcomes: {dict(sorted((str(k), v) for k, v in outcomes.items()))}; streamed received {len(latencies)}")
    if latencies:
        print(
            f"end-to-end latency (commit -> received): p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
