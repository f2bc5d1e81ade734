"""PostgreSQL restarted, then stopped for a while, under load, without restarting the app.

A PostgreSQL cluster of the drill's own (``initdb`` on a free port; the machine's shared server is
never touched), migrated and seeded with the demo data, serves the app under gunicorn with
production settings (persistent connections with ``CONN_HEALTH_CHECKS``). A few threads send a mix
of requests while the drill restarts the cluster (``pg_ctl restart -m fast``) and then stops it for
a few seconds. Every answer must be a success or a clean 503 (``service_unavailable`` in the
envelope, ``/health`` naming the database), never a 500 or a dropped connection, and requests must
succeed again as soon as the database is back.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from devtools.processes import UNLIMITED_CLASSES, AppServer, PostgresCluster, production_env, run_python, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DEMO_OWNER = ("owner@demo.example", "demo-pass-2026")  # tasks_app/management/commands/seed_demo.py
THREADS = 4
MAX_REQUESTS_PER_THREAD = 2000
PAUSE = 0.005  # seconds between two requests of one thread
GAP = 3.0  # seconds the database stays stopped
SETTLE = 1.5  # seconds of load between two events


@dataclass
class Sample:
    started: float
    ended: float
    kind: str
    status: int | None
    ok: bool
    clean: bool  # a success, or a 503 that says what is unavailable without internals
    detail: str


@pytest.fixture
def cluster():
    server = PostgresCluster()
    try:
        server.init().start()
        server.execute("CREATE DATABASE workspace")
        yield server
    finally:
        server.destroy()


@pytest.fixture
def app(cluster, redis_server):
    url = cluster.url("workspace")
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        done = run_python(["manage.py", *command], DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.local")
        assert done.returncode == 0, done.stdout + done.stderr
    server = AppServer(production_env(DATABASE_URL=url, REDIS_URL=redis_server.url, **UNLIMITED_CLASSES))
    try:
        yield server.start()
    finally:
        server.stop()


def classify(kind: str, reply) -> tuple[bool, bool, str]:
    ok = reply.status in (200, 201)
    if ok:
        return True, True, ""
    if reply.status != 503:
        return False, False, f"{reply.status} {reply.body!r:.300}"
    if kind == "health":
        clean = reply.body["checks"]["database"]["status"] == "down"
    else:
        clean = reply.is_envelope("service_unavailable") and int(reply.headers.get("retry-after", 0)) > 0
    return False, clean, "" if clean else f"503 {reply.body!r:.300}"


class Load:
    """``THREADS`` threads sending a mix of reads, writes and health checks until stopped."""

    def __init__(self, app, token: str, organization_id: str, task_id: str):
        self.app = app
        self.stop = threading.Event()
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.requests = [
            ("list", "GET", "/api/v1/tasks", None),
            ("filter", "GET", "/api/v1/tasks?status=todo&ordering=-priority", None),
            ("read", "GET", f"/api/v1/tasks/{task_id}", None),
            ("create", "POST", "/api/v1/tasks", {"organization": organization_id, "title": "Written under load"}),
            ("health", "GET", "/health", None),
        ]
        self.token = token
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(THREADS)]

    def run(self, offset: int) -> None:
        for n in range(MAX_REQUESTS_PER_THREAD):
            if self.stop.is_set():
                return
            kind, method, path, body = self.requests[(n + offset) % len(self.requests)]
            started = time.monotonic()
            try:
                reply = self.app.request(method, path, token=self.token, body=body, timeout=20)
                ok, clean, detail = classify(kind, reply)
                status = reply.status
            except Exception as exc:  # a dropped connection or a timeout is the worst outcome: record it
                ok, clean, detail, status = False, False, f"{type(exc).__name__}: {exc}", None
            with self.lock:
                self.samples.append(Sample(started, time.monotonic(), kind, status, ok, clean, detail))
            time.sleep(PAUSE)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def between(self, start: float, end: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if start <= s.started and s.ended <= end]


def describe(samples: list[Sample]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(Counter(str(s.status) for s in samples).items())) or "none"


def test_postgres_restart_and_outage_under_load_answer_503_and_recover(app, cluster):
    email, password = DEMO_OWNER
    signed_in = app.request("POST", "/api/v1/auth/login", body={"email": email, "password": password})
    assert signed_in.status == 200, signed_in
    token = signed_in.body["access"]
    organization_id = app.request("GET", "/api/v1/organizations", token=token).body["data"][0]["id"]
    task_id = app.request("GET", "/api/v1/tasks", token=token).body["data"][0]["id"]
    server_pid = app.process.pid

    with Load(app, token, organization_id, task_id) as load:
        began = time.monotonic()
        time.sleep(SETTLE)

        restart_began = time.monotonic()
        cluster.restart()
        restarted = time.monotonic()
        time.sleep(SETTLE)

        stop_began = time.monotonic()
        cluster.stop("fast")
        stopped = time.monotonic()
        time.sleep(GAP)
        start_began = time.monotonic()
        cluster.start()
        started = time.monotonic()
        time.sleep(SETTLE)
        ended = time.monotonic()

    everything = load.between(began, float("inf"))
    phases = {
        "before": (began, restart_began),
        "restart": (restart_began, restarted),
        "after restart": (restarted, stop_began),
        "stopping": (stop_began, stopped),
        "stopped": (stopped, start_began),
        "starting": (start_began, started),
        "after start": (started, ended),
    }
    summary = "\n".join(
        [
            f"{len(everything)} requests; restart took {restarted - restart_began:.2f} s, "
            f"outage {started - stop_began:.2f} s",
            *(f"  {name}: {describe(load.between(*span))}" for name, span in phases.items()),
            app.log_tail(10),
        ]
    )
    # Nothing but successes and clean 503s: no 500, no other error, no dropped connection.
    unclean = [s for s in everything if not s.clean]
    assert not unclean, f"{len(unclean)} unclean answers, e.g. {unclean[:5]}\n{summary}"

    # Before any fault: all succeed.
    before = load.between(began, restart_began)
    assert before, summary
    assert all(s.ok for s in before), summary

    # While the database is stopped every request is refused, each with its 503.
    down = load.between(stopped, start_began)
    assert len(down) >= 10, summary
    assert all(s.status == 503 for s in down), summary
    assert {s.kind for s in down} == {"list", "filter", "read", "create", "health"}, summary

    # Once it is back, requests succeed again at once, the app never restarted.
    for since, until in ((restarted, stop_began), (started, ended)):
        after = load.between(since, until)
        assert len(after) >= 10, summary
        failed = [s for s in after if not s.ok]
        assert not failed, f"failed after recovery: {failed[:5]}\n{summary}"
    assert app.alive(), app.log_tail()
    assert app.process.pid == server_pid
    wait_until(lambda: app.request("GET", "/health").status == 200, timeout=5, message="/health after recovery")
    print(summary)
