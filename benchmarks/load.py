"""Load: the app server on PostgreSQL and Redis under wrk: the task list against /health/live, or a mix.

**Server models** (``--scales``, issue 16's throughput goal): for each size of ``--scales`` (tasks in one
organization of the shared data set, ``benchmarks/dataset.py``, 20 members), each server model of
``--models`` in turn serves ``GET /api/v1/tasks`` alone and ``GET /health/live`` alone at each concurrency of
``--levels``, one after the other at each level: ``config`` is config/gunicorn.conf.py as the Docker image
runs it; ``sync`` and ``gthread`` are gunicorn with that file and that worker class (``--workers``,
``--threads``); ``uvicorn`` is config/asgi.py under uvicorn (``--workers`` processes), as the live events
service runs. Per level: requests/s, p50/p99 of both, and their ratio; then, per model, the concurrency
where the task list saturated (the lowest within 90 % of its best) with its p99 there. The last line is
the ratio of the ``config`` model (or the first) at the largest size, where it saturated (goal: at least
0.3, p99 under 100 ms). Pages of tasks are kept while unchanged (``tasks_app/page_cache.py``), as in production;
``--page-cache 0`` has every page computed, to measure that path alone (the first line says which).

**The mix** (without ``--scales``):

Creates a throwaway PostgreSQL database (on the server of ``--database-url``), migrates it and
seeds one organization with ``--tasks`` tasks and ``--users`` members; starts a Redis of its own
and gunicorn with production settings (DEBUG off, Redis cache and broker, JSON logs) on loopback;
signs its users in once (sign-in is rate limited), then runs wrk for ``--duration`` seconds at each
concurrency of ``--levels`` with the mix: list tasks 35 %, filter 20 %, read one 25 %, create
10 %, comment 10 %. Then, in the same run and at the concurrency where throughput saturated, the
task list alone and ``/health/live`` alone, and their ratio. Prints, per level: throughput,
p50/p99 latency and errors. Goals: docs/performance.md, "Goals".

Needs wrk (Debian's package ``wrk``: installed here with apt-get when run as root) and
``redis-server``. Traffic goes to 127.0.0.1 only; wrk runs are bounded by ``--duration``, and
everything it started is stopped and the database dropped at the end, on Ctrl-C too.
"""

import argparse
import json
import math
import os
import random
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import (
    add_database_url_argument,
    page_cache_argument,
    print_scale_curve,
    run_with_servers,
    scales_argument,
    use_page_cache,
)
from devtools.processes import (
    ROOT,
    UNLIMITED_CLASSES,
    AppServer,
    AsgiAppServer,
    RedisServer,
    ThrowawayDatabase,
    production_env,
)

GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"
MODELS = ("config", "sync", "gthread", "uvicorn")

PASSWORD = "load-bench-password-2026"  # noqa: S105 - users of a throwaway database
MIX = [("list", 35), ("filter", 20), ("read", 25), ("create", 10), ("comment", 10)]

LUA = r"""
local tokens = {%(tokens)s}
local tasks = {%(tasks)s}
local members = {%(members)s}
local usernames = {%(usernames)s}
local organization = "%(organization)s"
local mode = "%(mode)s"
local statuses = {"todo", "in_progress", "done"}
local priorities = {"low", "medium", "high", "urgent"}
local orderings = {"-created_at", "-priority", "due_date", "status", "-updated_at"}
local words = {"report", "Task 1", "benchmark", "Task 42", "roof"}
local threads = {}
local thread_number = 0
counts = {}
local sent = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(number * 7919 + os.time())
end

local function pick(list) return list[math.random(#list)] end

local function filter_query()
  local r = math.random(5)
  if r == 1 then return "?status=" .. pick(statuses) end
  if r == 2 then return "?status=" .. pick(statuses) .. "&priority=" .. pick(priorities) end
  if r == 3 then return "?assignee=" .. pick(members) end
  if r == 4 then return "?ordering=" .. pick(orderings) end
  return "?search=" .. pick(words):gsub(" ", "+")
end

function request()
  sent = sent + 1
  local headers = {["Authorization"] = "Bearer " .. pick(tokens), ["X-Forwarded-Proto"] = "https"}
  if mode == "list" then return wrk.format("GET", "/api/v1/tasks", headers) end
  if mode == "live" then return wrk.format("GET", "/health/live", {["X-Forwarded-Proto"] = "https"}) end
  local r = math.random(100)
  if r <= %(list)d then
    local page = math.random(10) <= 8 and "" or ("?page=" .. math.random(2, 5))
    return wrk.format("GET", "/api/v1/tasks" .. page, headers)
  elseif r <= %(filter)d then
    return wrk.format("GET", "/api/v1/tasks" .. filter_query(), headers)
  elseif r <= %(read)d then
    return wrk.format("GET", "/api/v1/tasks/" .. pick(tasks), headers)
  end
  headers["Content-Type"] = "application/json"
  if r <= %(create)d then
    local body = string.format(
      '{"organization": "%%s", "title": "Made under load %%d", "priority": "%%s", "assignee": "%%s"}',
      organization, sent, pick(priorities), pick(members))
    return wrk.format("POST", "/api/v1/tasks", headers, body)
  end
  local body = string.format('{"body": "Looked at it under load (%%d), @%%s"}', sent, pick(usernames))
  return wrk.format("POST", "/api/v1/tasks/" .. pick(tasks) .. "/comments", headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do merged[status] = (merged[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%%s": %%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, table.concat(parts, ", ")))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, timeout=300)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk")
    return found


class OtherLoad:
    """CPU time used by processes that are not this benchmark's (other work on a shared machine).

    Ours: this process, the gunicorn and Redis it started and their children, wrk (its script's
    folder is on its command line) and the PostgreSQL backends of the throwaway database (its
    name is in their process title). Processes that start and end within a level are missed.
    """

    def __init__(self, markers: list[str], roots):
        self.markers = markers
        self.roots = roots  # callable: pids of the processes started here
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _sample(self) -> dict[int, float]:
        roots = {os.getpid(), *self.roots()}
        seconds = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()  # state, ppid, ..., utime (12th), stime (13th)
            pid, ppid = int(entry.name), int(fields[1])
            if pid in roots or ppid in roots or any(marker in command for marker in self.markers):
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / self.ticks
        return seconds

    def start(self) -> None:
        self.began, self.before = time.monotonic(), self._sample()

    def cores(self) -> float:
        """Average CPU cores the other processes used since ``start``."""
        after = self._sample()
        used = sum(t - self.before.get(pid, 0.0) for pid, t in after.items() if t >= self.before.get(pid, 0.0))
        return used / max(time.monotonic() - self.began, 1e-6)


# --- the database -------------------------------------------------------------------------


def migrate_and_seed(database_url: str, n_tasks: int, n_users: int) -> dict:
    """Run in a fresh process (``--seed``): migrate, then one organization, its members and tasks."""
    return _migrate_then(database_url, ["--seed", str(n_tasks), str(n_users)], timeout=600)


def migrate_and_seed_dataset(database_url: str, n_tasks: int) -> dict:
    """Migrate, then the shared data set (one organization of ``n_tasks``), in fresh processes."""
    return _migrate_then(database_url, ["--seed-dataset", str(n_tasks)], timeout=1200)


def _migrate_then(database_url: str, seed_arguments: list[str], *, timeout: int) -> dict:
    """``manage.py migrate`` on ``database_url``, then ``benchmarks.load`` with ``seed_arguments`` in a process of
    its own; the JSON its last line prints."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url,
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=600)  # noqa: S603
    seed = [sys.executable, "-m", "benchmarks.load", *seed_arguments]
    done = subprocess.run(seed, cwd=ROOT, env=env, check=True, timeout=timeout, capture_output=True, text=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed_dataset(n_tasks: int, signed_in: int = 8) -> None:
    """``benchmarks.dataset.build([n_tasks])``, and a password for its owner and the first members (who sign in)."""
    import django

    django.setup()
    from benchmarks import dataset

    data = dataset.build([n_tasks])
    people = data.members[:signed_in]
    for person in people:
        person.set_password(PASSWORD)
        person.save(update_fields=["password"])
    print(json.dumps({"organization": str(data.organization.pk), "emails": [p.email for p in people]}))


def seed(n_tasks: int, n_users: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.services import user_create
    from organizations.models import Role
    from organizations.services import membership_add, organization_create
    from tasks_app.models import Comment, Priority, Status, Task

    users = [
        # Verified: only a verified address is added to an organization directly (accounts' email verification).
        user_create(
            email=f"user{i}@load.example",
            username=f"load_user{i}",
            password=PASSWORD,
            full_name=f"User {i}",
            email_verified=True,
        )
        for i in range(n_users)
    ]
    owner = users[0]
    organization = organization_create(name="Load", created_by=owner)
    for user in users[1:]:
        membership_add(organization=organization, email=user.email, role=Role.MEMBER, actor=owner)
    rng = random.Random(42)
    now = timezone.now()
    tasks = [
        Task(
            organization=organization,
            title=f"Task {i}",
            description=rng.choice(["", "Check the quarterly report", "Fix the roof before winter", "Benchmark it"]),
            status=rng.choice(Status.values),
            priority=rng.choice(Priority.values),
            created_by=rng.choice(users),
            assignee=rng.choice([None, *users]),
            due_date=(now + timezone.timedelta(days=rng.randint(-30, 60))).date() if rng.random() < 0.6 else None,
            created_at=now - timezone.timedelta(minutes=i),
        )
        for i in range(n_tasks)
    ]
    Task.objects.bulk_create(tasks, batch_size=2000)
    Comment.objects.bulk_create(
        [Comment(task=rng.choice(tasks), author=rng.choice(users), body="An earlier comment") for _ in range(n_tasks)],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({"organization": str(organization.pk), "emails": [u.email for u in users]}))


# --- the servers --------------------------------------------------------------------------


class Servers:
    """A Redis and gunicorn of the benchmark's own (devtools/processes.py), each in a session of its own so that
    Ctrl-C reaches only us; gunicorn logs one line per request: method, path, query, status, microseconds."""

    def __init__(self, args, database_url: str):
        self.args = args
        self.database_url = database_url
        self.dir = Path(tempfile.mkdtemp(prefix="workspace-load-"))
        self.access_log = self.dir / "access.log"
        self.redis: RedisServer | None = None
        self.app: AppServer | None = None

    def start(self, model: str = "") -> None:
        self.redis = RedisServer().start()
        env = production_env(
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            JWT_ACCESS_MINUTES="600",  # tokens signed in before the load outlive it
            **UNLIMITED_CLASSES,  # a few people send the whole load: it measures the server, not the limiter
        )
        logging = ["--access-logfile", str(self.access_log), "--access-logformat", "%(m)s %(U)s %(q)s %(s)s %(D)s"]
        if model == "uvicorn":
            self.app = AsgiAppServer(env, workers=self.args.workers, graceful_timeout=10).start()
            return
        if model:  # config/gunicorn.conf.py, as the image runs it; a worker class named overrides its own
            self.app = AppServer(env)
            self.app.options = ["--config", str(GUNICORN_CONFIG), *logging]
            if model != "config":
                self.app.options += ["--worker-class", model, "--workers", str(self.args.workers)]
                self.app.options += ["--threads", str(self.args.threads if model == "gthread" else 1)]
            self.app.start()
            return
        self.app = AppServer(
            env,
            workers=self.args.workers,
            worker_class=self.args.worker_class,
            threads=self.args.threads,
            timeout=60,
            graceful_timeout=10,
            extra_args=("--backlog", "2048", *logging),
        ).start()

    @property
    def url(self) -> str:
        return self.app.url

    def access_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, offset: int) -> dict[str, list[float]]:
        """Milliseconds each request took inside gunicorn (queueing before a worker excluded), by kind."""
        times: dict[str, list[float]] = {}
        if not self.access_log.exists():  # uvicorn keeps no such log
            return times
        with open(self.access_log, "rb") as log:
            log.seek(offset)
            for line in log.read().decode(errors="replace").splitlines():
                parts = line.split(" ")
                if len(parts) == 5:
                    method, path, query, _status, micros = parts
                    times.setdefault(request_kind(method, path, query), []).append(int(micros) / 1000)
        return times

    def pids(self) -> list[int]:
        return [server.process.pid for server in (self.app, self.redis) if server is not None and server.process]

    def log_tail(self, lines: int = 20) -> str:
        return self.app.log_tail(lines) if self.app else ""

    def stop(self) -> None:
        for server in (self.app, self.redis):
            if server is not None:
                server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- wrk ----------------------------------------------------------------------------------


def request_kind(method: str, path: str, query: str) -> str:
    if method == "POST":
        return "comment" if path.endswith("/comments") else "create"
    if path == "/api/v1/tasks":
        return "filter" if query.strip("-") and not query.startswith("page=") else "list"
    if path.startswith("/api/v1/tasks/"):
        return "read"
    return path


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def describe_server_times(times: dict[str, list[float]]) -> str:
    kinds = [kind for kind, _ in MIX if kind in times] + sorted(set(times) - {kind for kind, _ in MIX})
    parts = [f"{kind} {percentile(times[kind], 50):.1f}/{percentile(times[kind], 99):.1f}" for kind in kinds]
    return "    in gunicorn, p50/p99 ms: " + ", ".join(parts)


def lua_list(values) -> str:
    return ", ".join(f'"{v}"' for v in values)


def write_script(folder: Path, mode: str, data: dict) -> Path:
    cumulative, bounds = 0, {}
    for name, weight in MIX:
        cumulative += weight
        bounds[name] = cumulative
    text = LUA % {
        "tokens": lua_list(data["tokens"]),
        "tasks": lua_list(data["tasks"]),
        "members": lua_list(data["members"]),
        "usernames": lua_list(data["usernames"]),
        "organization": data["organization"],
        "mode": mode,
        **{name: bounds[name] for name in ("list", "filter", "read", "create")},
    }
    path = folder / f"{mode}.lua"
    path.write_text(text)
    return path


def run_wrk(wrk: str, script: Path, url: str, connections: int, duration: int, others: OtherLoad) -> dict:
    threads = max(1, min(2, connections))
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s"]
    others.start()
    done = subprocess.run(  # noqa: S603
        [*command, "-s", str(script), url], capture_output=True, text=True, timeout=duration + 60, check=True
    )
    other_cores = others.cores()
    time.sleep(2)  # requests wrk left in flight finish (and are logged) before the next level
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["others"] = other_cores
    return result


def describe(label: str, r: dict) -> str:
    statuses = " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
    return (
        f"  {label:<18} {r['rps']:8.1f} req/s   p50 {r['p50_us'] / 1000:7.1f} ms   p99 {r['p99_us'] / 1000:7.1f} ms"
        f"   errors {r['errors']:>5}   others {r['others']:4.2f} CPU   ({r['requests']} requests; {statuses})"
    )


def saturation(levels: list[tuple[int, dict]]) -> int:
    """The lowest concurrency that reached 90 % of the best throughput of the run."""
    best = max(r["rps"] for _, r in levels)
    return next(c for c, r in levels if r["rps"] >= 0.9 * best)


# --- the run ------------------------------------------------------------------------------


def sign_in(servers: Servers, emails: list[str], organization: str) -> dict:
    tokens = []
    for email in emails:
        reply = servers.app.request("POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
        if reply.status != 200:
            raise RuntimeError(f"sign-in of {email} answered {reply.status}: {reply.body}")
        tokens.append(reply.body["access"])
    task_ids, members, usernames = [], set(), set()
    for page in range(1, 6):
        reply = servers.app.request("GET", f"/api/v1/tasks?page={page}&page_size=100", token=tokens[0])
        if reply.status != 200:
            raise RuntimeError(f"task list answered {reply.status}: {reply.body}")
        for task in reply.body["data"]:
            task_ids.append(task["id"])
            for person in (task["created_by"], task.get("assignee")):
                if person:
                    members.add(person["id"])
                    usernames.add(person["username"])
        if len(reply.body["data"]) < 100:  # the last page: a small --tasks has fewer than five
            break
    return {
        "tokens": tokens,
        "tasks": task_ids,
        "members": sorted(members),
        "usernames": sorted(usernames),
        "organization": organization,
    }


def measure(args, wrk, servers, scripts, others) -> None:
    """The mix at each level, then the task list and /health/live alone where the mix saturated; the verdict."""
    print("\nmix (list 35 %, filter 20 %, read 25 %, create 10 %, comment 10 %):")
    levels = []
    for connections in args.levels:
        offset = servers.access_offset()
        result = run_wrk(wrk, scripts["mix"], servers.url, connections, args.duration, others)
        levels.append((connections, result))
        print(describe(f"{connections} connections", result), flush=True)
        print(describe_server_times(servers.server_times(offset)), flush=True)
    at = args.solo_connections or saturation(levels)
    print(f"\nalone, at {at} connections (where the mix saturated):")
    alone = {}
    for mode, label in (("list", "GET /api/v1/tasks"), ("live", "GET /health/live")):
        offset = servers.access_offset()
        alone[mode] = run_wrk(wrk, scripts[mode], servers.url, at, args.duration, others)
        print(describe(label, alone[mode]), flush=True)
        print(describe_server_times(servers.server_times(offset)), flush=True)
    ratio = alone["list"]["rps"] / alone["live"]["rps"]
    errors = sum(r["errors"] for _, r in levels) + sum(r["errors"] for r in alone.values())
    p99 = alone["list"]["p99_us"] / 1000
    print(f"\ntask list / /health/live throughput: {ratio:.2f}")
    print(f"goal: 0 errors -> {errors}; task list p99 < 100 ms at saturation ({at} connections) -> {p99:.1f} ms")
    busiest = max([r["others"] for _, r in levels] + [r["others"] for r in alone.values()])
    if busiest > 0.2:
        print(f"other processes used up to {busiest:.2f} of the {os.cpu_count()} CPUs: figures are low and noisy")
    if errors:
        print(f"\nlast lines of the server log:\n{servers.log_tail()}")


# --- server models against the task list at several sizes (issue 16) ---------------------------------------------


def describe_model(model: str, args) -> str:
    if model == "uvicorn":
        return f"uvicorn config.asgi:application, {args.workers} workers"
    values = runpy.run_path(str(GUNICORN_CONFIG))
    if model != "config":
        values |= {"worker_class": model, "workers": args.workers, "threads": args.threads if model == "gthread" else 1}
    names = ("workers", "worker_class", "threads", "keepalive", "timeout", "backlog")
    described = ", ".join(f"{name}={values[name]}" for name in names if name in values)
    return f"gunicorn {described}; {use_page_cache(None)}"


def level_line(model: str, connections: int, tasks: dict, live: dict) -> str:
    figures = [f"{r['rps']:8.1f} {r['p50_us'] / 1000:7.1f} {r['p99_us'] / 1000:8.1f}" for r in (tasks, live)]
    errors, others = tasks["errors"] + live["errors"], max(tasks["others"], live["others"])
    ratio = tasks["rps"] / live["rps"]
    return f"  {model:<8} {connections:>5}   {figures[0]}   {figures[1]}   {ratio:5.2f}   {errors:>6}   {others:4.2f}"


def measure_model(args, wrk, database, seeded, folder, model: str) -> dict:
    """The task list alone and /health/live alone at each level under one server model; its saturation figures."""
    servers = Servers(args, database.url)
    try:
        servers.start(model)
        data = sign_in(servers, seeded["emails"], seeded["organization"])
        scripts = {mode: write_script(folder, mode, data) for mode in ("list", "live")}
        others = OtherLoad([str(folder), database.name], servers.pids)
        run_wrk(wrk, scripts["list"], servers.url, max(args.levels), args.warmup, others)  # warm-up, not reported
        levels = []
        for connections in args.levels:
            tasks = run_wrk(wrk, scripts["list"], servers.url, connections, args.duration, others)
            live = run_wrk(wrk, scripts["live"], servers.url, connections, args.duration, others)
            levels.append((connections, tasks, live))
            print(level_line(model, connections, tasks, live), flush=True)
    finally:
        servers.stop()
    at = saturation([(connections, tasks) for connections, tasks, _ in levels])
    saturated = next(tasks for connections, tasks, _ in levels if connections == at)
    best_live = max(live["rps"] for _, _, live in levels)
    return {
        "at": at,
        "tasks_rps": max(tasks["rps"] for _, tasks, _ in levels),
        "live_rps": best_live,
        "ratio": max(tasks["rps"] for _, tasks, _ in levels) / best_live,
        "p99_ms": saturated["p99_us"] / 1000,
        "errors": sum(tasks["errors"] + live["errors"] for _, tasks, live in levels),
    }


def run_models(args, wrk) -> None:
    """Each size of ``--scales``: a database of the shared data set, each server model of ``--models`` on it."""
    folder = Path(tempfile.mkdtemp(prefix="workspace-load-lua-"))
    figures: dict[int, dict[str, float]] = {}
    verdicts: dict[int, dict[str, dict]] = {}
    try:
        for n_tasks in args.scales:
            database = ThrowawayDatabase(args.database_url, prefix="workspace_load")
            try:
                started = time.monotonic()
                database.create()
                seeded = migrate_and_seed_dataset(database.url, n_tasks)
                print(f"\n{n_tasks:,} tasks (the shared data set) in {time.monotonic() - started:.0f} s", flush=True)
                for model in args.models:
                    print(f"  {model}: {describe_model(model, args)}")
                print(
                    f"  {'model':<8} {'conns':>5}   {'tasks/s':>8} {'p50':>7} {'p99 ms':>8}   {'live/s':>8} {'p50':>7}"
                    f" {'p99 ms':>8}   {'ratio':>5}   {'errors':>6}   others"
                )
                for model in args.models:
                    verdict = measure_model(args, wrk, database, seeded, folder, model)
                    verdicts.setdefault(n_tasks, {})[model] = verdict
                    figures.setdefault(n_tasks, {}).update(
                        {
                            f"{model}: GET /api/v1/tasks, req/s": verdict["tasks_rps"],
                            f"{model}: GET /health/live, req/s": verdict["live_rps"],
                            f"{model}: p99 at saturation, ms": verdict["p99_ms"],
                        }
                    )
            finally:
                database.drop()
            print(f"\nat {n_tasks:,} tasks, per model: best req/s, ratio to /health/live, p99 where the list saturated")
            for model, verdict in verdicts[n_tasks].items():
                print(
                    f"  {model:<8} {verdict['tasks_rps']:8.1f} / {verdict['live_rps']:8.1f} = {verdict['ratio']:.2f};"
                    f" saturated at {verdict['at']} connections, p99 {verdict['p99_ms']:.1f} ms;"
                    f" errors {verdict['errors']}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_scale_curve(figures, unit="", width=44)
    largest = max(verdicts)
    model = "config" if "config" in verdicts[largest] else next(iter(verdicts[largest]))
    verdict = verdicts[largest][model]
    print(
        f"\nratio GET /api/v1/tasks / GET /health/live ({model}: {describe_model(model, args)}; {largest:,} tasks;"
        f" the task list saturated at {verdict['at']} connections with p99 {verdict['p99_ms']:.1f} ms,"
        f" goal at least 0.3 and under 100 ms): {verdict['ratio']:.2f}"
    )


def run(args) -> None:
    wrk = ensure_wrk()
    if args.scales:
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start", flush=True)
        print("'others' is the CPU that processes outside the benchmark used during a level (0 on a quiet machine)")
        run_models(args, wrk)
        return
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start", flush=True)
    if load > 0.5:
        print("  (the machine is busy: figures will be low and noisy; run again when it is quiet)")
    print("'others' is the CPU that processes outside the benchmark used during a level (0 on a quiet machine)")
    database = ThrowawayDatabase(args.database_url, prefix="workspace_load")
    servers = None
    folder = Path(tempfile.mkdtemp(prefix="workspace-load-lua-"))
    try:
        started = time.monotonic()
        database.create()
        seeded = migrate_and_seed(database.url, args.tasks, args.users)
        print(
            f"database {database.name}: {args.tasks} tasks, {args.users} users, {args.tasks} comments "
            f"({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        servers = Servers(args, database.url)
        servers.start()
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
            + f", production settings, on {servers.url}; wrk {args.duration} s per level; {use_page_cache(None)}",
            flush=True,
        )
        data = sign_in(servers, seeded["emails"], seeded["organization"])
        scripts = {mode: write_script(folder, mode, data) for mode in ("mix", "list", "live")}
        others = OtherLoad([str(folder), database.name], servers.pids)
        run_wrk(wrk, scripts["mix"], servers.url, min(args.levels), args.warmup, others)  # warm-up, not reported

        measure(args, wrk, servers, scripts, others)
    finally:
        if servers is not None:
            servers.stop()
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--seed"]:
        seed(int(argv[1]), int(argv[2]))
        return
    if argv[:1] == ["--seed-dataset"]:
        seed_dataset(int(argv[1]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_url_argument(parser)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[4, 8, 16, 32, 64])
    parser.add_argument("--duration", type=int, default=60, help="seconds per level")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unreported load first")
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="per worker, with --worker-class gthread")
    parser.add_argument("--solo-connections", type=int, help="concurrency of the alone runs (default: saturation)")
    scales_argument(parser, default="")
    parser.add_argument(
        "--models",
        type=lambda text: [part for part in text.split(",") if part],
        default=list(MODELS),
        help=f"server models compared with --scales, of {', '.join(MODELS)} (default: all)",
    )
    page_cache_argument(parser, default=None)
    args = parser.parse_args(argv)
    use_page_cache(args.page_cache)
    run_with_servers("load", run, args)


if __name__ == "__main__":
    main()
