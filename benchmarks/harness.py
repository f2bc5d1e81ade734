"""Shared set-up for benchmarks: Django on a throwaway test database, and a timer.

The database is the one configured (SQLite by default, PostgreSQL with DATABASE_URL); the
cache likewise (in-process by default, Redis with REDIS_URL). Figures are noisy: compare
ratios taken in one run, never absolute times across runs.
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


@contextmanager
def test_database():
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def time_per_call(fn: Callable[[], object], *, iterations: int, repeats: int = 5) -> float:
    """Median seconds per call over ``repeats`` runs of ``iterations`` calls."""
    for _ in range(min(iterations, 200)):
        fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(iterations):
            fn()
        samples.append((time.perf_counter() - started) / iterations)
    return statistics.median(samples)


def interleaved_rounds(
    fns: dict[str, Callable[[], object]], *, iterations: int, repeats: int = 7
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``repeats`` rounds, the functions alternating round by round
    so that drift hits all alike."""
    for fn in fns.values():
        for _ in range(min(iterations, 200)):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            started = time.perf_counter()
            for _ in range(iterations):
                fn()
            samples[name].append((time.perf_counter() - started) / iterations)
    return samples


def medians(rounds: dict[str, list[float]]) -> dict[str, float]:
    """Each function's median round of ``interleaved_rounds``."""
    return {name: statistics.median(values) for name, values in rounds.items()}


def time_interleaved(fns: dict[str, Callable[[], object]], *, iterations: int, repeats: int = 7) -> dict[str, float]:
    """Median seconds per call of each function, measured in alternating rounds (``interleaved_rounds``)."""
    return medians(interleaved_rounds(fns, iterations=iterations, repeats=repeats))


def python_speed() -> float:
    """CPU seconds this machine's Python takes for a fixed loop (the best of three): how fast the machine is,
    printed beside figures in milliseconds so that runs on different machines can be set side by side."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        sum(range(10**7))
        best = min(best, time.process_time() - started)
    return best


def postgresql_settings(cursor, names) -> str:
    """``PostgreSQL <version>: name=value ...`` for these settings, each as ``SHOW`` prints it (``128MB``, not a
    count of 8 kB pages), on a DB-API cursor of the server."""
    cursor.execute("SHOW server_version")
    version = cursor.fetchone()[0]
    cursor.execute(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name", [list(names)]
    )
    return f"PostgreSQL {version}: " + " ".join(f"{name}={value}" for name, value in cursor.fetchall())


def describe_backends() -> str:
    from django.conf import settings
    from django.db import connection

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"database={connection.vendor} cache={cache}"


def access_token(user) -> str:
    """An access token of a real session of ``user``, as the frontend holds after signing in."""
    from sessions_app.services import session_create

    _, tokens = session_create(user=user)
    return tokens["access"]


def signed_in_client(user):
    """An API client signed in as ``user`` through a real session, as the frontend is."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client


def wsgi_getter(application, path: str, token: str):
    """A function that runs ``GET path`` through the WSGI application and fails loudly on anything but 200."""
    from django.test.client import RequestFactory

    route, _, query = path.partition("?")
    environ = RequestFactory()._base_environ(
        PATH_INFO=route,
        QUERY_STRING=query,
        REQUEST_METHOD="GET",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT="application/json",
    )

    def start_response(status, headers, exc_info=None):
        start_response.status = status

    def go():
        body = application(dict(environ), start_response)
        try:
            content = b"".join(body)
        finally:
            body.close()
        if not start_response.status.startswith("200"):
            raise AssertionError(f"{path}: {start_response.status} {content[:300]!r}")
        return content

    return go


def api_getter(client, path: str, query=None) -> Callable[[], None]:
    """A function that GETs ``path`` and fails loudly on anything but 200, for timing."""

    def go():
        response = client.get(path, query)
        assert response.status_code == 200, response.content

    return go


def print_timings(results: dict[str, float], *, unit_ms_digits: int = 2, width: int = 34) -> None:
    for name, seconds in results.items():
        print(f"  {name:<{width}} {seconds * 1000:8.{unit_ms_digits}f} ms")


def run_timings(
    doc: str, run: Callable[[int], dict[str, float]], *, argv, default_iterations: int, title: str, unit: str
):
    """``main`` of a benchmark that times calls: ``--iterations``, a throwaway database, one line per figure
    (``unit`` "µs" or "ms"); ``title`` is formatted with ``backends`` and ``iterations``."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--iterations", type=int, default=default_iterations)
    args = parser.parse_args(argv)
    setup_django()
    with test_database():
        results = run(args.iterations)
        print(title.format(backends=describe_backends(), iterations=args.iterations))
        scale = {"µs": 1e6, "ms": 1e3}[unit]
        for name, seconds in results.items():
            print(f"  {name:<44} {seconds * scale:9.2f} {unit}")


# --- Benchmarks that start servers on a throwaway PostgreSQL database (load, events) -------------------


def add_database_url_argument(parser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the throwaway database on (default: DATABASE_URL's server)",
    )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_with_servers(name: str, run: Callable, args) -> None:
    """``run(args)`` on PostgreSQL; Ctrl-C and SIGTERM both end it through its ``finally`` (which stops what it
    started and drops the database), a missing server binary exits with how to install it."""
    import signal
    import sys

    from devtools.processes import MissingBinary

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"the {name} benchmark runs on PostgreSQL: set DATABASE_URL or --database-url")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        run(args)
    except MissingBinary as exc:
        sys.exit(f"{exc}: apt-get install redis-server")
    except KeyboardInterrupt:
        print("\ninterrupted; everything it started is stopped and the database dropped")
        sys.exit(130)


# --- Scale curves: a benchmark run at several sizes (issue 16: none may grow faster than its raw SQL) -------------


def page_cache_argument(parser, default: int | None) -> None:
    """``--page-cache SECONDS``: ``TASK_PAGE_CACHE_SECONDS`` for this process and the servers it starts (they inherit
    its environment); ``default`` None leaves the settings' own (60 s)."""
    parser.add_argument(
        "--page-cache",
        type=int,
        default=default,
        metavar="SECONDS",
        help="how long pages of tasks are kept while unchanged (tasks_app/page_cache.py); 0 computes every page "
        f"(default: {'the settings' if default is None else default})",
    )


def use_page_cache(seconds: int | None) -> str:
    """Apply ``--page-cache`` before Django is set up; what the servers then do with pages of tasks, as text."""
    import importlib

    if seconds is not None:
        os.environ["TASK_PAGE_CACHE_SECONDS"] = str(seconds)
    # The settings' own reading of it (their default included), before Django reads them.
    kept = importlib.reload(importlib.import_module("config.settings.api")).TASK_PAGE_CACHE_SECONDS
    return f"pages of tasks kept {kept} s while unchanged" if kept else "every page of tasks computed"


def scales_argument(parser, default: str = "10000,100000") -> None:
    """``--scales 10000,100000,1000000``: the sizes to run at, smallest first."""
    parser.add_argument(
        "--scales",
        type=lambda text: sorted(int(part.replace("_", "")) for part in text.split(",") if part.strip()),
        default=default,
        help=f"comma-separated sizes to run at, e.g. 10000,100000,1000000 (default {default})",
    )


def print_scale_curve(figures: dict[int, dict[str, float]], *, unit: str = "ms", width: int = 40) -> None:
    """One line per figure: its value at each size, and how it grew from the smallest size to each larger one
    (``x10.0`` is ten times the cost). Compare an API figure's growth with its raw SQL's on the next line."""
    scales = sorted(figures)
    if not scales:
        return
    scale_of = {"ms": 1e3, "µs": 1e6, "s": 1.0, "": 1.0}[unit]
    print("\nscale curve (" + " -> ".join(f"{size:,}" for size in scales) + f"; {unit or 'value'}, growth):")
    for label in figures[scales[0]]:
        values = [figures[size].get(label) for size in scales]
        cells = [f"{v * scale_of:10.2f}" if v is not None else f"{'-':>10}" for v in values]
        first = values[0]
        growth = [f"x{v / first:.1f}" if v is not None and first else "-" for v in values[1:]]
        print(f"  {label:<{width}} {' '.join(cells)}   {' '.join(growth)}")
