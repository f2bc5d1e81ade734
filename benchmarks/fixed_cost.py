"""Fixed cost: what a request costs over its own SQL, in process and through gunicorn, and where it goes.

On PostgreSQL, for each size of ``--scales`` (tasks in one organization of the shared data set,
``benchmarks/dataset.py``), two requests the issue measures the fixed cost with:

- ``GET /api/v1/tasks?assignee=<id>`` by the owner (a filter of the task list);
- ``GET /api/v1/tasks/assigned`` by a member (their own tasks).

Each is timed three ways in one run, interleaved round by round so that drift on a shared machine hits
all alike:

- **in process**: the WSGI application itself (``config.wsgi``, the callable gunicorn calls) with a
  built environ, every middleware included. Not Django's test client, which adds work of its own (it
  copies templates and contexts off signals, handles cookies, decorates the response) that no real
  request pays; no socket either, so this is the Python cost alone;
- **SQL**: the exact statements that request ran, captured once with their parameters, and replayed on a
  persistent connection of their own (psycopg, autocommit, every row fetched), each prepared there as the API
  prepares them (``config/statements.py``): the database's own share;
- **through gunicorn**: the same request from outside over a keep-alive HTTP connection on loopback, to
  gunicorn run with ``config/gunicorn.conf.py`` and production settings (DEBUG off, its own Redis, JSON
  logs); ``GET /health/live`` beside it is the floor of that transport.

Beside them, the CPU of ``GET /api/v1/users/me`` in process, a request that runs no query once its person is
cached (authentication and the session check, the rate limit, DRF, every middleware, a small serializer):
the framework's own floor under the fixed cost.

Fixed cost = request time - SQL time. Then a cProfile of ``--profile`` in-process requests of each kind,
grouped by layer (self time per request) with each layer's top functions by cumulative time: where the
fixed cost goes. Profiling slows Python down: read its shares, not its milliseconds.

With ``--instructions N``, the CPU instructions this process spends on each request (the two and the floor), counted
by valgrind's callgrind over N requests of each kind in a child process of its own (2,000 tasks; ``PYTHONHASHSEED``
fixed): unlike times, the same from one run to the next whatever else the machine does (within 1-2 %), so two
commits compare on a shared machine. PostgreSQL's and Redis's work is not in them. About a minute; needs valgrind.

The last line is the ratio of the request to its SQL at the largest size, with the fixed costs beside
it (goal: at most 3 ms; docs/performance.md, "Goals").
"""

import argparse
import cProfile
import http.client
import io
import os
import pstats
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.harness import (
    describe_backends,
    interleaved_rounds,
    medians,
    page_cache_argument,
    print_scale_curve,
    python_speed,
    scales_argument,
    setup_django,
    test_database,
    use_page_cache,
    wsgi_getter,
)
from devtools.processes import ROOT, UNLIMITED_CLASSES, AppServer, RedisServer, database_url, production_env

REQUESTS = {
    "assignee filter": "/api/v1/tasks?assignee={assignee}",
    "assigned": "/api/v1/tasks/assigned",
}
# A request that reads nothing from the database once its person is cached: the framework's floor.
FLOOR = ("no query (/users/me)", "/api/v1/users/me")
GOAL_MS = 3.0
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"


# --- the requests -----------------------------------------------------------------------------


def http_getter(port: int, path: str, token: str | None):
    """A function that GETs ``path`` from the server over one keep-alive connection (reopened when it closed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def exchange():
        connection.request("GET", path, headers=headers)
        return connection.getresponse()

    def go():
        try:
            response = exchange()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the connection after its keep-alive (the other timings ran meanwhile): reconnect,
            # as any HTTP client does.
            connection.close()
            response = exchange()
        content = response.read()
        if response.status != 200:
            raise AssertionError(f"{path}: {response.status} {content[:300]!r}")
        if response.will_close:
            connection.close()
        return content

    return go


def captured_statements(request) -> list[str]:
    """The SQL one run of ``request`` sent, as Django sent it (parameters bound on the client)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        request()
    return [query["sql"] for query in captured.captured_queries]


def sent_statements(request) -> list[tuple[str, tuple]]:
    """The statements one run of ``request`` sent, with their parameters, as Django handed them to the driver."""
    from django.db import connection

    sent = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        request()
    return sent


def sql_replayer(raw_connection, statements: list[tuple[str, tuple]]):
    """The statements, each prepared on the replaying connection (planned once, then only run): the list's
    statements are prepared by the API too (``config/statements.py``), and this is what the database takes to
    answer them, no more."""
    import psycopg

    def go():
        with psycopg.Cursor(raw_connection) as cursor:
            for sql, params in statements:
                cursor.execute(sql, params, prepare=True)
                if cursor.description is not None:
                    cursor.fetchall()

    return go


def replay_connection():
    """A persistent connection of its own to the test database, bound on the client as Django's is, and keeping the
    plan of a prepared statement made once for any value, as the API's connections do (``config/postgresql``)."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
        options="-c plan_cache_mode=force_generic_plan",
    )


# --- gunicorn ---------------------------------------------------------------------------------


class Server:
    """gunicorn as the Docker image runs it (config/gunicorn.conf.py, production settings) on the test database,
    with a Redis of its own."""

    def __init__(self):
        from django.conf import settings
        from django.db import connection

        self.redis = RedisServer().start()
        env = production_env(
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url(connection.settings_dict),
            REDIS_URL=self.redis.url,
            # The tokens are signed here, with the test settings' key.
            JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
            **UNLIMITED_CLASSES,
        )
        self.app = AppServer(env)
        self.app.options = ["--config", str(GUNICORN_CONFIG)]
        try:
            self.app.start()
        except Exception:
            self.redis.stop()
            raise

    @property
    def port(self) -> int:
        return self.app.port

    def stop(self) -> None:
        self.app.stop()
        self.redis.stop()


def describe_gunicorn_config() -> str:
    """What config/gunicorn.conf.py sets, read as gunicorn reads it (a Python file run with this environment)."""
    values = runpy.run_path(str(GUNICORN_CONFIG))
    names = ("workers", "worker_class", "threads", "keepalive", "timeout", "backlog", "accesslog")
    return ", ".join(f"{name}={values[name]}" for name in names if name in values)


# --- the profile ------------------------------------------------------------------------------

# Where a function's file lives says its layer; the first match wins.
LAYERS = [
    ("database driver (psycopg, waiting for PostgreSQL)", ("/psycopg/", "/psycopg_binary/", "/psycopg_pool/")),
    ("cache client (django-redis, redis)", ("/django_redis/", "/redis/")),
    (
        "authentication, session check",
        ("/rest_framework_simplejwt/", "/jwt/", "/sessions_app/", "/pats/", "/oauth_server/", "/accounts/backends"),
    ),
    (
        "our middleware (ETag, rate limit, idempotency, context)",
        ("/config/middleware", "/config/conditional", "/config/ratelimit", "/config/throttling", "/idempotency/"),
    ),
    (
        "third-party middleware (guid, CORS, CSP, whitenoise)",
        ("/django_guid/", "/corsheaders/", "/csp/", "/whitenoise/", "/config/request_context", "/contextvars"),
    ),
    ("scoping, permissions (organizations, mfa)", ("/organizations/", "/mfa/", "/config/permissions", "/django_otp/")),
    ("filters (django-filter, forms)", ("/django_filters/", "/django/forms/", "/config/filters", "/tasks_app/filters")),
    ("pagination", ("/config/pagination", "/django/core/paginator", "/rest_framework/pagination")),
    (
        "serialization, JSON rendering",
        (
            "/tasks_app/serializers",
            "/accounts/serializers",
            "/rest_framework/fields",
            "/rest_framework/serializers",
            "/rest_framework/renderers",
            "/rest_framework/utils/encoders",
            "/json/",
        ),
    ),
    ("Django ORM (SQL compiling, model instances)", ("/django/db/",)),
    ("DRF views, request, negotiation", ("/rest_framework/",)),
    (
        "Django handler, middleware, URLs, HTTP",
        (
            "/django/core/handlers/",
            "/django/middleware/",
            "/django/contrib/",
            "/django/http/",
            "/django/urls/",
            "/django/utils/",
            "/django/",
        ),
    ),
    ("logging", ("/logging/",)),
]


def layer_of(filename: str) -> str:
    for layer, markers in LAYERS:
        if any(marker in filename for marker in markers):
            return layer
    if filename.startswith("~") or filename.startswith("<"):
        return "built-ins (C functions: str, dict, uuid...)"
    return "other Python (our code, standard library)"


def print_profile(requests: dict, count: int) -> float:
    """cProfile ``count`` calls of each request together: self time and function calls per request by layer, then
    each layer's top functions by cumulative time. The calls are the steadier figure on a shared machine."""
    profiler = cProfile.Profile()
    for request in requests.values():
        request()  # warm
    profiler.enable()
    for _ in range(count):
        for request in requests.values():
            request()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    requests_run = count * len(requests)
    by_layer: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    functions: dict[str, list] = defaultdict(list)
    total_time, total_calls = 0.0, 0
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        layer = layer_of(filename)
        by_layer[layer][0] += tottime
        by_layer[layer][1] += calls
        total_time += tottime
        total_calls += calls
        short = filename.split("site-packages/")[-1].replace(f"{ROOT}/", "")
        functions[layer].append((cumtime, f"{short}:{line} {name}" if line else name))
    names = ", ".join(requests)
    print(f"\nprofile: {count} of each request ({names}), cProfile; per request, profiler overhead included")
    print(f"  {'layer (self time)':<58} {'ms':>7} {'share':>6} {'calls':>7}")
    order = sorted(by_layer, key=lambda layer: -by_layer[layer][0])
    for layer in order:
        seconds, calls = by_layer[layer]
        share = seconds / total_time
        print(f"  {layer:<58} {seconds / requests_run * 1000:7.2f} {share:6.1%} {calls / requests_run:7.0f}")
    print(f"  {'total':<58} {total_time / requests_run * 1000:7.2f} {'':>6} {total_calls / requests_run:7.0f}")
    print("\n  top functions by cumulative time, by layer (ms per request):")
    for layer in order:
        print(f"  {layer}:")
        for cumtime, label in sorted(functions[layer], reverse=True)[:4]:
            print(f"      {cumtime / requests_run * 1000:7.2f}  {label[:110]}")
    return total_calls / requests_run


# --- the run ----------------------------------------------------------------------------------


def signed_in_token(user) -> str:
    from sessions_app.services import session_create

    _, tokens = session_create(user=user)
    return str(tokens["access"])


def paths_and_tokens(data) -> tuple[dict, dict]:
    """Each request's path and its caller's token: the owner filters by a member, the member lists their own."""
    owner, member = data.owner, data.members[1]
    tokens = {"assignee filter": signed_in_token(owner), "assigned": signed_in_token(member)}
    return {label: path.format(assignee=member.pk) for label, path in REQUESTS.items()}, tokens


def cpu_per_call(fn, calls: int) -> float:
    """This process's CPU seconds per call: steadier than wall time on a shared machine (waits on the database and
    Redis, and time other processes took, are left out)."""
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls


def function_calls(fn, count: int) -> float:
    """Python function calls per call of ``fn``, as cProfile counts them: the same whatever else the machine does."""
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        fn()
    profiler.disable()
    return pstats.Stats(profiler, stream=io.StringIO()).total_calls / count


def floor_cpu(application, token: str, calls: int) -> float:
    """This process's CPU per call of ``FLOOR``'s request, checked to run no query."""
    path = FLOOR[1]
    floor = wsgi_getter(application, path, token)
    floor()  # its person cached, as after any request
    if queries := len(captured_statements(floor)):
        raise AssertionError(f"{path} ran {queries} queries; it is measured as a request that runs none")
    return cpu_per_call(floor, calls)


def timed_functions(in_process, raw, server, paths, tokens) -> tuple[dict, dict]:
    """What is timed, by name, and the SQL statements of each request."""
    fns, statements = {}, {}
    for label in REQUESTS:
        statements[label] = captured_statements(in_process[label])
        fns[f"{label}: in process"] = in_process[label]
        fns[f"{label}: its SQL"] = sql_replayer(raw, sent_statements(in_process[label]))
        if server is not None:
            fns[f"{label}: through gunicorn"] = http_getter(server.port, paths[label], tokens[label])
    if server is not None:
        fns["/health/live through gunicorn"] = http_getter(server.port, "/health/live", None)
    return fns, statements


def print_results(results: dict, scale: dict) -> None:
    for name, seconds in results.items():
        print(f"  {name:<44} {seconds * 1000:8.2f} ms")
    scale.update(results)
    for label in REQUESTS:
        sql = results[f"{label}: its SQL"]
        for how in ("in process", "through gunicorn"):
            if f"{label}: {how}" in results:
                fixed = results[f"{label}: {how}"] - sql
                scale[f"{label}: fixed cost {how}"] = fixed
                ratio = results[f"{label}: {how}"] / sql
                print(f"  fixed cost, {label}, {how:<22} {fixed * 1000:8.2f} ms   ({ratio:.2f}x its SQL)")


def print_best_rounds(rounds: dict[str, list[float]], scale: dict) -> None:
    """Each request's fixed cost from its fastest round and its SQL's: on a machine shared with others, whose times
    swing by half from minute to minute, what the code costs when nothing else takes the CPU (noise only ever adds
    time). Printed beside the medians, never instead of them."""
    print("fastest round of each (what the machine gives when nothing else runs):")
    for label in REQUESTS:
        best = min(rounds[f"{label}: in process"]) - min(rounds[f"{label}: its SQL"])
        scale[f"{label}: fixed cost in process, fastest rounds"] = best
        print(f"  fixed cost, {label}, fastest rounds {best * 1000:21.2f} ms")


def measure(data, n_tasks: int, args, figures: dict) -> None:
    from django.db import connection

    from config.handlers import get_wsgi_application

    paths, tokens = paths_and_tokens(data)
    application = get_wsgi_application()
    in_process = {label: wsgi_getter(application, paths[label], tokens[label]) for label in REQUESTS}
    for request in in_process.values():
        for _ in range(20):
            request()
    raw = replay_connection()
    server = None if args.no_server else Server()
    try:
        fns, statements = timed_functions(in_process, raw, server, paths, tokens)
        if server is not None:
            print(f"gunicorn: {describe_gunicorn_config()}")
        for label, sqls in statements.items():
            print(f"{label}: {len(sqls)} queries")
            for sql in sqls:
                print(f"    {' '.join(sql.split())[:150]}")
        rounds = interleaved_rounds(fns, iterations=args.iterations, repeats=args.repeats)
        results = medians(rounds)
        cpu = {}
        for label in REQUESTS:
            cpu[f"{label}: in process, CPU"] = cpu_per_call(fns[f"{label}: in process"], args.iterations * 3)
            cpu[f"{label}: its SQL, client CPU"] = cpu_per_call(fns[f"{label}: its SQL"], args.iterations * 3)
        cpu[f"{FLOOR[0]}: in process, CPU"] = floor_cpu(application, tokens["assigned"], args.iterations * 3)
        floor_calls = function_calls(wsgi_getter(application, FLOOR[1], tokens["assigned"]), args.profile or 100)
    finally:
        raw.close()
        if server is not None:
            server.stop()
    print(f"\nmedian of {args.repeats} interleaved rounds of {args.iterations} calls each:")
    scale = figures.setdefault(n_tasks, {})
    print_results(results, scale)
    print_best_rounds(rounds, scale)
    print("this process's CPU per call (the Python share of the fixed cost):")
    for name, seconds in cpu.items():
        print(f"  {name:<44} {seconds * 1000:8.2f} ms")
    scale.update(cpu)
    if args.profile:
        scale["Python function calls per request (count)"] = print_profile(in_process, args.profile) / 1000
    scale[f"{FLOOR[0]}: Python function calls (count)"] = floor_calls / 1000
    connection.close()


# --- instructions (callgrind) -----------------------------------------------------------------------------

CALLGRIND_TASKS = 2000


def callgrind_child(count: int) -> None:
    """Run under ``valgrind --tool=callgrind --instr-atstart=no``: count ``count`` requests of each kind, each kind's
    instructions dumped to a part of their own named by its index (``callgrind_control`` on this process)."""
    from benchmarks import dataset
    from config.handlers import get_wsgi_application

    callgrind_control = shutil.which("callgrind_control")

    def control(*arguments: str) -> None:
        subprocess.run([callgrind_control, *arguments, str(os.getpid())], capture_output=True, check=True)  # noqa: S603

    with test_database():
        data = dataset.build([CALLGRIND_TASKS])
        requests = counted_requests(get_wsgi_application(), data)
        for request in requests.values():
            for _ in range(10):  # warm: the person cached, the shapes learnt
                request()
        for index, request in enumerate(requests.values()):
            control("-i", "on")
            for _ in range(count):
                request()
            control("-i", "off")
            control("-d", f"request-{index}")


def counted_requests(application, data) -> dict:
    """The requests whose instructions are counted: the two of ``REQUESTS`` and the floor, by label."""
    paths, tokens = paths_and_tokens(data)
    requests = {label: wsgi_getter(application, paths[label], tokens[label]) for label in REQUESTS}
    requests[FLOOR[0]] = wsgi_getter(application, FLOOR[1], tokens["assigned"])
    return requests


def instructions_per_request(count: int) -> dict[str, float] | None:
    """``{label: instructions per request}`` from a child process under callgrind; None without valgrind."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        return None
    labels = [*REQUESTS, FLOOR[0]]
    with tempfile.TemporaryDirectory() as folder:
        command = [
            shutil.which("valgrind"),
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={folder}/callgrind.%p",
            sys.executable,
            "-m",
            "benchmarks",
            "fixed_cost",
            "--callgrind-child",
            "--instructions",
            str(count),
            "--page-cache",
            os.environ["TASK_PAGE_CACHE_SECONDS"],  # as this process: use_page_cache set it
        ]
        environment = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"callgrind run failed: {done.stderr[-2000:]}")
        counts = {}
        for part in Path(folder).glob("callgrind.*.*"):
            text = part.read_text(errors="replace")
            index = int(re.search(r"^desc: Trigger: .*request-(\d+)", text, re.MULTILINE).group(1))
            counts[labels[index]] = int(re.search(r"^totals: (\d+)", text, re.MULTILINE).group(1)) / count
    return {label: counts[label] for label in labels}


def print_instructions(count: int) -> None:
    counts = instructions_per_request(count)
    if counts is None:
        print("\ninstructions: skipped (valgrind is not installed: Debian's package valgrind)")
        return
    print(f"\ninstructions per request (callgrind, {count} of each, {CALLGRIND_TASKS:,} tasks, this process only):")
    for label, instructions in counts.items():
        print(f"  {label:<44} {instructions / 1e6:8.2f} M")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scales_argument(parser, default="10000,100000")
    parser.add_argument("--iterations", type=int, default=30, help="calls per round of each request")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--profile", type=int, default=200, help="requests of each kind profiled (0: none)")
    parser.add_argument("--no-server", action="store_true", help="in process only (no gunicorn)")
    parser.add_argument(
        "--instructions", type=int, default=0, metavar="N", help="also count N requests' instructions (callgrind)"
    )
    parser.add_argument("--callgrind-child", action="store_true", help=argparse.SUPPRESS)
    page_cache_argument(parser, default=0)  # the page computed: the fixed cost around the statements it runs
    args = parser.parse_args(argv)
    kept = use_page_cache(args.page_cache)
    setup_django()
    if args.callgrind_child:
        callgrind_child(args.instructions)
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the fixed_cost benchmark runs on PostgreSQL: set DATABASE_URL")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, "
        f"sum(range(10**7)) in {python_speed():.2f} s of CPU; {kept}"
    )
    from benchmarks import dataset

    figures: dict[int, dict[str, float]] = {}
    with test_database():
        data = None
        for n_tasks in args.scales:  # one data set, grown from one size to the next
            started = time.perf_counter()
            data = dataset.build([n_tasks]) if data is None else dataset.grow(data, [n_tasks])
            elapsed = time.perf_counter() - started
            print(f"\n{n_tasks:,} tasks, built in {elapsed:.0f} s ({describe_backends()})", flush=True)
            measure(data, n_tasks, args, figures)
    print_scale_curve(figures, width=52)
    if args.instructions:
        print_instructions(args.instructions)
    largest = figures[max(figures)]
    parts = []
    for label in REQUESTS:
        fixed = [
            f"{largest[f'{label}: fixed cost {how}'] * 1000:.1f} ms {how}"
            for how in ("in process", "in process, fastest rounds", "through gunicorn")
            if f"{label}: fixed cost {how}" in largest
        ]
        ratio = largest[f"{label}: in process"] / largest[f"{label}: its SQL"]
        parts.append(f"{label} {ratio:.2f}x ({', '.join(fixed)})")
    goal = f"fixed cost goal: at most {GOAL_MS:g} ms"
    print(f"\nratio request / its SQL at {max(figures):,} tasks ({goal}): " + "; ".join(parts))


if __name__ == "__main__":
    main()
