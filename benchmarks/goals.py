"""Issue 16's goals in one run: each goal's benchmark at 10,000, 100,000 and 1,000,000 tasks, one after the other.

``python -m benchmarks goals`` (``--scales``, ``--only search,reports``) runs, in the issue's order, the benchmark of
each goal of docs/performance.md ("Goals") as its own process, with this process's environment (``DATABASE_URL``
must name a PostgreSQL server; ``load`` also needs ``redis-server`` and wrk). Every line they print is passed
through as it comes. First it prints what the figures depend on: the date, the commit, the machine (its CPU, its
memory, how long its Python takes for a fixed loop, its load) and the PostgreSQL server's version and settings;
last, a table of each goal's own last line (its ratio), the minutes it took and whether it ended well. A goal
whose benchmark fails is reported as failed and the run goes on to the next.

About an hour on a 2-core machine at the default scales, most of it the import of a million rows and the data
sets of a million tasks that the list benchmarks build.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from typing import NamedTuple

from benchmarks.harness import postgresql_settings, python_speed


class Goal(NamedTuple):
    name: str
    benchmark: str
    arguments: tuple[str, ...]
    goal: str


# The goals in its order, each with the arguments its figures in docs/performance.md were taken with.
GOALS = (
    Goal("search", "search", (), "rare word within 1.5x, common word within 1.3x of the best raw SQL"),
    Goal("organizations", "organizations", (), "person in 4 organizations within 1.3x of a person in 1"),
    Goal("counting", "task_list", ("--cases", "filters"), "first page of every filter within 1.3x of its SQL"),
    Goal("fixed cost", "fixed_cost", ("--profile", "0"), "a request's cost over its SQL at most 3 ms"),
    Goal(
        "throughput",
        "load",
        ("--models", "config", "--levels", "2,8,32", "--duration", "8", "--warmup", "4"),
        "GET /tasks at least 0.3x /health/live, p99 under 100 ms",
    ),
    Goal("import", "imports", (), "at least 0.8x of COPY of the same rows into the same DDL, under 300 MB"),
    Goal("reports", "reports", (), "within 1.2x of the same SQL, no sort spilled to disk"),
)

POSTGRESQL_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "max_parallel_workers_per_gather",
    "random_page_cost",
    "jit",
    "synchronous_commit",
    "max_wal_size",
    "plan_cache_mode",
)


def postgresql(url: str) -> str:
    """The server's version and the settings the figures depend on, as one line."""
    import psycopg

    from devtools.processes import ThrowawayDatabase

    # The server's maintenance database: the benchmarks make throwaway databases of their own on that server.
    with psycopg.connect(ThrowawayDatabase(url).admin_url, autocommit=True) as connection:
        return postgresql_settings(connection.cursor(), POSTGRESQL_SETTINGS)


def machine() -> str:
    """The CPU, the cores, the memory and the fixed loop's time: enough to set two runs side by side."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kilobytes = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
        memory = f", {kilobytes / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"{model}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; sum(range(10**7)) in {python_speed():.2f} s of CPU"
    )


def commit() -> str:
    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def run(goal: Goal, scales: str) -> tuple[int, str, float]:
    """The goal's benchmark in a process of its own, its lines passed through; its exit status, its last line and
    the minutes it took."""
    command = [sys.executable, "-m", "benchmarks", goal.benchmark, "--scales", scales, *goal.arguments]
    print(f"\n=== {goal.name}: {goal.goal}\n$ python -m benchmarks {' '.join(command[3:])}", flush=True)
    started = time.monotonic()
    last = ""
    # Our own interpreter and benchmark, with arguments of our own.
    with subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            last = line.strip() or last
    return process.returncode, last, (time.monotonic() - started) / 60


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks goals", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10000,100000,1000000", help="sizes for every goal (default: the issue's)")
    parser.add_argument(
        "--only",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        help="comma-separated goals to run, of: " + ", ".join(goal.name for goal in GOALS),
    )
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - {goal.name for goal in GOALS}
    if unknown:
        parser.error(f"no such goal: {', '.join(sorted(unknown))}")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("the goals are measured on PostgreSQL: set DATABASE_URL (and REDIS_URL)")

    print(f"issue 16's goals, one run, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(postgresql(url))
    print(f"scales: {args.scales}", flush=True)

    outcomes = []
    for goal in GOALS:
        if args.only and goal.name not in args.only:
            continue
        status, last, minutes = run(goal, args.scales)
        outcomes.append((goal, status, last, minutes))

    print(f"\nissue 16's goals, {sum(minutes for *_, minutes in outcomes):.0f} minutes in all (each one's last line):")
    for goal, status, last, minutes in outcomes:
        ended = "" if status == 0 else f" [FAILED, exit {status}]"
        print(f"  {goal.name:<14} {minutes:5.1f} min{ended}  {last}")
    if any(status for _, status, *_ in outcomes):
        sys.exit(1)
