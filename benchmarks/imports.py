"""CSV import of tasks through the real service, against the database's own limit: server-side COPY of the
same, already formatted rows into a logged table of the task table's DDL.

For each scale (``--scales 10000,100000``; issue 16 runs ``10000,100000,1000000``), on PostgreSQL:

1. A CSV file of that many rows of a realistic shape (``generate``): titles of 2-9 words, descriptions of
   0-20 words, some of them non-ASCII, 40 members as assignees (by email or by username, a third of the
   rows unassigned), statuses and priorities spelled as people do, most rows with a due date, and 1% bad
   rows (no title, a title too long, an unknown status, an impossible date, someone not a member).
2. **The service, timed**: ``imports.services.import_job_create`` (the upload check reads the whole file,
   the storage keeps a copy) and ``import_job_run`` (validation, batches of COPY, each committed with the
   job's checkpoint, the bad rows recorded). The task table is emptied first (``TRUNCATE``), so every
   scale starts from the same empty table as the reference.
3. The same rows, formatted **before the timing**: the tasks the service created, read back as
   ``COPY (SELECT <the service's COPY columns> ...) TO STDOUT (FORMAT BINARY)`` into a file: byte for byte
   the binary COPY data the service sent (psycopg's binary format is PostgreSQL's).
4. **The reference, timed**: ``COPY ... FROM STDIN (FORMAT BINARY)`` of that file into a new logged table
   built from the live table's DDL read from the catalog at run time: ``LIKE tasks_app_task INCLUDING
   ALL`` (columns with generated ones, defaults, checks, indexes), its foreign keys re-created from
   ``pg_constraint`` (deferrable, initially deferred, as Django makes them), its own triggers from
   ``pg_trigger`` and its storage parameters; one transaction, committed inside the timing (the deferred
   foreign-key checks run at commit). The same work as the import's: the task rows. The import's
   bookkeeping (its checkpoints, the bad rows' error records) is the service's own cost.

Prints, per scale, both rates in rows of the file per second, their ratio and the peak RSS of the process
during the import, then the scale curve: the cost per row of each and how it grows from the smallest scale.
The last line is the ratio at the largest scale. Goal (docs/performance.md, "Goals"): at least 0.8 at
100,000 and 1,000,000 rows, peak RSS under 300 MB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workspace .venv/bin/python -m benchmarks imports \\
        --scales 10000,100000,1000000
"""

import argparse
import csv
import datetime
import os
import random
import re
import resource
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager

from benchmarks.harness import describe_backends, postgresql_settings, setup_django, test_database

MEMBERS = 40
BAD_ROW_SHARE = 0.01
WORDS = (
    "review",
    "update",
    "customer",
    "invoice",
    "report",
    "draft",
    "meeting",
    "notes",
    "release",
    "plan",
    "bug",
    "login",
    "page",
    "export",
    "budget",
    "hiring",
    "onboarding",
    "migration",
    "database",
    "backup",
    "audit",
    "roadmap",
    "design",
    "feedback",
    "survey",
    "sprint",
    "ticket",
    "deploy",
    "server",
    "client",
    "contract",
    "payment",
    "schedule",
    "team",
    "offsite",
    "workshop",
    "presentation",
    "slides",
    "metrics",
    "dashboard",
    "analytics",
    "search",
    "filter",
    "email",
    "newsletter",
    "campaign",
    "launch",
    "website",
    "mobile",
    "android",
    "iphone",
    "tablet",
    "printer",
    "network",
    "firewall",
    "password",
    "access",
    "policy",
    "legal",
    "compliance",
    "training",
    "document",
    "translation",
    "quarterly",
    "annual",
    "weekly",
    "daily",
    "follow",
    "check",
    "call",
    "with",
    "the",
    "a",
    "of",
    "for",
    "and",
    "to",
    "in",
    "on",
    "from",
    "about",
    "before",
    "after",
    "new",
    "old",
    "urgent",
    "small",
    "large",
    "first",
    "final",
    "second",
)
# About one description in eight and one title in twenty get a word such as these.
NON_ASCII = ("café", "Müller", "naïve", "résumé", "Zürich", "señal", "Ελληνικά", "日本語", "Łódź", "façade", "€", "→")
STATUSES = ("todo", "Todo", "in_progress", "In Progress", "in-progress", "done", "Done", "")
PRIORITIES = ("low", "medium", "Medium", "high", "High", "urgent", "")
HEADER = ["title", "description", "status", "priority", "assignee", "due_date"]


def columns() -> list[str]:
    """The columns the service's COPY writes (``tasks_app.bulk.TASK_COLUMNS``)."""
    from tasks_app.bulk import TASK_COLUMNS

    return [name for name, _ in TASK_COLUMNS]


REFERENCE = "bench_import_reference"
SETTINGS = ("max_wal_size", "shared_buffers", "synchronous_commit", "wal_buffers", "work_mem")
CHUNK = 1 << 20


# --- Memory ---------------------------------------------------------------------------------------------------


def reset_peak_rss() -> None:
    """Start a new peak (Linux: ``5`` in ``/proc/self/clear_refs`` resets the high-water mark, VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """The process's peak resident memory since the last reset (VmHWM), or since it started."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) of this process, or of ``pid`` (the PostgreSQL backend, when the server
    runs on this machine; NaN otherwise): a busy machine stretches wall time, not the work done."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def autovacuum_runs(table: str = "tasks_app_task") -> int:
    """How many times autovacuum and autoanalyze ran on ``table`` so far (the statistics lag by a moment)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT autovacuum_count + autoanalyze_count FROM pg_stat_user_tables WHERE relid = %s::regclass", [table]
        )
        return cursor.fetchone()[0]


# --- The file ----------------------------------------------------------------------------------------------------


def _words(rng: random.Random, count: int, non_ascii: float) -> str:
    words = rng.choices(WORDS, k=count)
    if words and rng.random() < non_ascii:
        words[rng.randrange(len(words))] = rng.choice(NON_ASCII)
    return " ".join(words)


def _bad(rng: random.Random, row: list[str], members: list[tuple[str, str]]) -> list[str]:
    """One of the mistakes people make, in one cell of an otherwise good row."""
    mistake = rng.randrange(5)
    if mistake == 0:
        row[0] = ""
    elif mistake == 1:
        row[0] = _words(rng, 60, 0)[:250] + " (pasted twice)"
    elif mistake == 2:
        row[2] = "waiting"
    elif mistake == 3:
        row[5] = "2030-02-30"
    else:
        row[4] = f"someone.else{rng.randrange(100)}@elsewhere.example"
    return row


def generate(path: str, rows: int, members: list[tuple[str, str]]) -> int:
    """``rows`` data rows of a realistic shape (the module's docstring); returns the file's size in bytes.
    The same seed at every scale: a smaller file is the start of a larger one."""
    rng = random.Random(16)
    start = datetime.date(2030, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            title = _words(rng, rng.randint(2, 9), 0.05).capitalize()
            description = _words(rng, rng.randint(0, 20), 0.12)
            if description and rng.random() < 0.3:
                description = description.capitalize() + "."
            assignee = ""
            if rng.random() < 2 / 3:
                email, username = rng.choice(members)
                assignee = rng.choice((email, email, email.upper(), username, f"@{username}"))
            due = (start + datetime.timedelta(days=rng.randrange(730))).isoformat() if rng.random() < 0.8 else ""
            row = [f"{title} #{i}", description, rng.choice(STATUSES), rng.choice(PRIORITIES), assignee, due]
            if rng.random() < BAD_ROW_SHARE:
                row = _bad(rng, row, members)
            writer.writerow(row)
    return os.path.getsize(path)


# --- The organization ----------------------------------------------------------------------------------------


def build():
    from django.utils import timezone

    from accounts.services import user_create
    from organizations.models import Role
    from organizations.services import membership_add, organization_create

    owner = user_create(email="owner@bench.example", username="owner", password=None)
    org = organization_create(name="Bench", created_by=owner)
    members = []
    for i in range(MEMBERS):
        user = user_create(email=f"member{i}@bench.example", username=f"member{i}", password=None)
        # Only a verified address is added to an organization (organizations.services.membership_add).
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        membership_add(organization=org, email=user.email, role=Role.MEMBER, actor=None)
        members.append((user.email, user.username))
    return owner, org, members


# --- The service ---------------------------------------------------------------------------------------------


def empty_task_table() -> None:
    """Every scale starts from an empty task table, as the reference starts from a new one."""
    from django.db import connection

    from tasks_app.models import Task

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(Task._meta.db_table)} CASCADE")


def import_through_service(path: str, *, org, owner):
    """The upload (check and storage) and the run, as the API and the worker do them; (upload s, run s, job)."""
    from django.core.files import File

    from imports import services

    started = time.perf_counter()
    with open(path, "rb") as handle:
        job = services.import_job_create(
            organization=org,
            uploaded_file=File(handle, name="bench.csv"),
            kind="tasks",
            created_by=owner,
            start=False,
        )
    uploaded = time.perf_counter()
    job = services.import_job_run(job_id=job.pk)
    return uploaded - started, time.perf_counter() - uploaded, job


# --- The reference -------------------------------------------------------------------------------------------


def export_rows(job, path: str) -> int:
    """The tasks ``job`` created, in file order, as binary COPY data in ``path``: what the service sent."""
    from django.db import connection

    names = ", ".join(columns())
    select = f"SELECT {names} FROM tasks_app_task WHERE import_job_id = %s ORDER BY created_at, id"  # noqa: S608
    size = 0
    with (
        connection.cursor() as wrapper,
        open(path, "wb") as handle,
        wrapper.cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT BINARY)", (job.pk,)) as copy,
    ):
        for data in copy:
            size += handle.write(data)
    return size


def create_reference_table(cursor, source: str = "tasks_app_task", target: str = REFERENCE) -> list[str]:
    """A new logged table with ``source``'s DDL as the catalog has it now; returns the statements it ran."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [source],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [source],
    )
    triggers = cursor.fetchall()
    cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [source])
    options = cursor.fetchone()[0]
    statements = [f"DROP TABLE IF EXISTS {target}", f"CREATE TABLE {target} (LIKE {source} INCLUDING ALL)"]
    for index, (_, definition) in enumerate(foreign_keys):
        statements.append(f"ALTER TABLE {target} ADD CONSTRAINT {target}_fk{index} {definition}")
    on_source = re.compile(rf"\bON (?:\w+\.)?{source}\b")
    for name, definition in triggers:
        definition = on_source.sub(f"ON {target}", definition, count=1)
        statements.append(definition.replace(f"TRIGGER {name} ", f"TRIGGER {target}_{name} ", 1))
    if options:
        statements.append(f"ALTER TABLE {target} SET ({', '.join(options)})")
    for statement in statements:
        cursor.execute(statement)
    return statements


def copy_reference(path: str) -> tuple[float, list[str]]:
    """COPY the formatted rows in ``path`` into a new table of the task table's DDL; (seconds, its DDL)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        statements = create_reference_table(cursor)
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as wrapper,
        open(path, "rb") as handle,
        wrapper.cursor.copy(f"COPY {REFERENCE} ({', '.join(columns())}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        while chunk := handle.read(CHUNK):
            copy.write(chunk)
    elapsed = time.perf_counter() - started  # after the commit: the deferred foreign-key checks included
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {REFERENCE}")
    return elapsed, statements


# --- The run -------------------------------------------------------------------------------------------------


def measure(rows: int, folder: str, *, org, owner, members, repeats: int) -> dict:
    """The service and the reference at ``rows``, alternated ``repeats`` times; the medians, and each run."""
    from django.conf import settings

    csv_path, copy_path = os.path.join(folder, f"tasks-{rows}.csv"), os.path.join(folder, f"tasks-{rows}.copy")
    size = generate(csv_path, rows, members)
    if size > settings.IMPORT_MAX_BYTES:
        raise SystemExit(f"{rows:,} rows make {size:,} bytes, over IMPORT_MAX_BYTES ({settings.IMPORT_MAX_BYTES:,})")
    backend = backend_pid()
    services, references, formatted, statements = [], [], 0, []
    for repeat in range(repeats):
        empty_task_table()
        reset_peak_rss()
        cpu, vacuums = (cpu_seconds(), cpu_seconds(backend)), autovacuum_runs()
        with celery_queue():
            upload, run, job = import_through_service(csv_path, org=org, owner=owner)
            rss = peak_rss_mb()
            service_cpu = cpu_seconds() - cpu[0], cpu_seconds(backend) - cpu[1]
        job.file.delete(save=False)  # the stored copy of the upload
        if job.state != "succeeded" or job.created + job.failed != rows or not job.failed:
            raise SystemExit(f"the import went wrong: {job.state}, {job.created} created, {job.failed} failed")
        vacuums = autovacuum_runs() - vacuums
        services.append(
            {"upload": upload, "time": upload + run, "cpu": service_cpu, "rss": rss, "job": job, "vacuums": vacuums}
        )
        if repeat == 0:
            formatted = export_rows(job, copy_path)
        cpu = cpu_seconds(backend)
        reference, statements = copy_reference(copy_path)
        references.append({"time": reference, "cpu": cpu_seconds(backend) - cpu})
    os.remove(csv_path)
    os.remove(copy_path)
    middle = sorted(range(repeats), key=lambda index: services[index]["time"])[(repeats - 1) // 2]
    job = services[middle]["job"]
    return {
        "rows": rows,
        "bytes": size,
        "created": job.created,
        "failed": job.failed,
        "upload": services[middle]["upload"],
        "service": statistics.median(run["time"] for run in services),
        "reference": statistics.median(run["time"] for run in references),
        "runs": [(service["time"], reference["time"]) for service, reference in zip(services, references, strict=True)],
        "copy_bytes": formatted,
        "rss": max(run["rss"] for run in services),
        "ddl": statements,
        "service_cpu": services[middle]["cpu"],
        "vacuums": services[middle]["vacuums"],
        "reference_cpu": statistics.median(run["cpu"] for run in references),
    }


@contextmanager
def celery_queue():
    """Celery tasks enqueued meanwhile wait, as on a broker, and run once the block ends: the deliveries of
    the import's notifications are other workers' work, not the import's (the test settings run Celery
    eagerly, which would run them inline, inside the timing)."""
    from celery.app.task import Task

    queued = []
    original = Task.apply_async

    def enqueue(self, args=None, kwargs=None, **options):
        queued.append((self, args, kwargs, options))

    Task.apply_async = enqueue
    try:
        yield queued
    finally:
        Task.apply_async = original
    for task, args, kwargs, options in queued:
        original(task, args, kwargs, **options)


def report(result: dict) -> None:
    rows, service, reference = result["rows"], result["service"], result["reference"]
    print(
        f"{rows:,} rows ({result['bytes'] / 1e6:.1f} MB of CSV, {result['copy_bytes'] / 1e6:.1f} MB of COPY data): "
        f"{result['created']:,} tasks created, {result['failed']:,} rows rejected"
    )
    client, server = result["service_cpu"]
    print(
        f"  import service    {rows / service:>10,.0f} rows/s  ({service:.2f} s: upload check and storage "
        f"{result['upload']:.2f} s, run {service - result['upload']:.2f} s; CPU {client:.2f} s here, "
        f"{server:.2f} s in its PostgreSQL backend; autovacuum ran {result['vacuums']} times on the task table "
        "meanwhile)"
    )
    print(
        f"  COPY (reference)  {rows / reference:>10,.0f} rows/s  ({reference:.2f} s; CPU "
        f"{result['reference_cpu']:.2f} s in the backend)"
    )
    print(f"  ratio             {reference / service:>10.2f}       (goal >= 0.8)")
    if len(result["runs"]) > 1:
        each = ", ".join(f"{ours:.2f}/{theirs:.2f} s ({theirs / ours:.2f})" for ours, theirs in result["runs"])
        print(f"  each run          service/reference, alternated: {each}; the medians above")
    print(f"  peak RSS          {result['rss']:>10.0f} MB    (the process, during the import; goal < 300)")


def curve(results: list[dict]) -> None:
    """Cost per 1,000 rows of each, and how many times the smallest scale's it is."""
    first = results[0]
    base_service, base_reference = first["service"] / first["rows"], first["reference"] / first["rows"]
    print("scale curve: ms per 1,000 rows (x the smallest scale's)")
    print(f"  {'rows':>10}  {'service':>16}  {'COPY':>16}  {'ratio':>6}  {'peak RSS':>9}")
    for result in results:
        service, reference = result["service"] / result["rows"], result["reference"] / result["rows"]
        print(
            f"  {result['rows']:>10,}  {service * 1e6:>9.1f} (x{service / base_service:.2f})"
            f"  {reference * 1e6:>9.1f} (x{reference / base_reference:.2f})"
            f"  {result['reference'] / result['service']:>6.2f}  {result['rss']:>6.0f} MB"
        )


def run(scales: list[int], repeats: int = 1) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the imports benchmark compares with PostgreSQL's COPY: set DATABASE_URL")
    with connection.cursor() as cursor:
        server = postgresql_settings(cursor, SETTINGS)
    print(f"imports benchmark ({describe_backends()}; {server}; load {os.getloadavg()[0]:.1f})")
    owner, org, members = build()
    folder = tempfile.mkdtemp(prefix="import-bench-")
    results = []
    try:
        for rows in scales:
            results.append(measure(rows, folder, org=org, owner=owner, members=members, repeats=repeats))
            report(results[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("reference table DDL (read from the catalog at run time):")
    for statement in results[-1]["ddl"][1:]:
        print(f"  {statement};")
    curve(results)
    last = results[-1]
    print(f"ratio at {last['rows']:,} rows: {last['reference'] / last['service']:.2f}")


def scales(text: str) -> list[int]:
    values = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1000:
        raise argparse.ArgumentTypeError("scales are row counts of at least 1000, comma-separated")
    return values


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks imports", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", type=scales, default=[10_000, 100_000], help="row counts, comma-separated (default 10000,100000)"
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="alternate the service and the reference this many times (medians)"
    )
    args = parser.parse_args(argv)
    setup_django()
    with test_database():
        run(args.scales, max(1, args.repeats))
