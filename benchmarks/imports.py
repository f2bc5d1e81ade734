"""CSV import of tasks through the real service, against PostgreSQL COPY of the same file.

Generates N task rows (default 100,000) to a CSV file, imports it through
``imports.services`` (upload check, storage, validation, batches with checkpoints, COPY of
tasks and their activity), then, in the same run, parses the same file with ``csv`` and COPYs
it through psycopg 3 into a plain temporary table of the same shape (the task table's columns
and indexes; no foreign keys, no activity rows, no validation, one transaction). Prints rows/s
of both, their ratio and the peak memory (RSS) of the process.
Goals: docs/performance.md, "Goals".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workspace .venv/bin/python -m benchmarks imports --rows 1000000
"""

import argparse
import csv
import datetime
import os
import random
import resource
import shutil
import tempfile
import time

from benchmarks.harness import describe_backends, setup_django, test_database

MEMBERS = 20
WORDS = [
    *("review", "update", "customer", "invoice", "report", "draft", "meeting", "notes", "release", "plan"),
    *("bug", "login", "page", "export", "budget", "hiring", "onboarding", "migration", "database", "backup"),
    *("audit", "roadmap", "design", "feedback", "survey"),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def generate(path: str, rows: int, emails: list[str]) -> int:
    """Rows shaped like a real export: varied titles and short descriptions, 2 in 3 assigned, most with a due
    date; about 95 bytes a row, so 1,000,000 rows fit the default IMPORT_MAX_BYTES (100 MB)."""
    rng = random.Random(42)
    statuses, priorities = ["todo", "in_progress", "done"], ["low", "medium", "high", "urgent"]
    start = datetime.date(2030, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "description", "status", "priority", "assignee_email", "due_date"])
        for i in range(rows):
            words = rng.sample(WORDS, 7)
            writer.writerow(
                [
                    f"{words[0].capitalize()} the {words[1]} {words[2]} #{i}",
                    " ".join(words[3:]).capitalize() + ".",
                    rng.choice(statuses),
                    rng.choice(priorities),
                    rng.choice(emails) if rng.random() < 2 / 3 else "",
                    (start + datetime.timedelta(days=rng.randrange(730))).isoformat() if rng.random() < 0.8 else "",
                ]
            )
    return os.path.getsize(path)


def build():
    from django.utils import timezone

    from accounts.services import user_create
    from organizations.models import Role
    from organizations.services import membership_add, organization_create

    owner = user_create(email="owner@bench.example", username="owner", password=None)
    org = organization_create(name="Bench", created_by=owner)
    emails = []
    for i in range(MEMBERS):
        user = user_create(email=f"member{i}@bench.example", username=f"member{i}", password=None)
        # Only a verified address is added to an organization (organizations.services.membership_add).
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        membership_add(organization=org, email=user.email, role=Role.MEMBER, actor=None)
        emails.append(user.email)
    return owner, org, emails


def import_through_service(path: str, *, org, owner) -> tuple[float, object]:
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
    job = services.import_job_run(job_id=job.pk)
    return time.perf_counter() - started, job


def copy_file(path: str, *, org, owner, temporary: bool) -> float:
    """The reference: the same file parsed with ``csv`` and COPYed into a plain table of the task table's
    shape, with the labels and emails mapped to what the table stores but nothing validated."""
    import uuid

    from django.db import connection, transaction

    from organizations.selectors import organization_member_list
    from tasks_app.bulk import TASK_COLUMNS
    from tasks_app.models import Priority, Status

    statuses = {choice.label: int(choice) for choice in Status}
    priorities = {choice.label: int(choice) for choice in Priority}
    members = dict(organization_member_list(organization_id=org.pk).values_list("email", "pk"))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        table = "TEMPORARY TABLE" if temporary else "TABLE"
        cursor.execute(f"CREATE {table} bench_copy (LIKE tasks_app_task INCLUDING ALL)")
    columns = ", ".join(name for name, _ in TASK_COLUMNS)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as wrapper, open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        now = datetime.datetime.now(datetime.UTC)
        fromisoformat = datetime.date.fromisoformat
        with wrapper.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([kind for _, kind in TASK_COLUMNS])
            for title, description, status, priority, email, due in reader:
                copy.write_row(
                    (
                        uuid.uuid4(),
                        org.pk,
                        title,
                        description,
                        statuses[status],
                        priorities[priority],
                        owner.pk,
                        members.get(email),
                        fromisoformat(due) if due else None,
                        None,
                        now,
                        now,
                        None,
                    )
                )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def run(rows: int) -> None:
    owner, org, emails = build()
    folder = tempfile.mkdtemp(prefix="import-bench-")
    path = os.path.join(folder, "tasks.csv")
    try:
        report(rows, path, org=org, owner=owner, emails=emails)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(rows: int, path: str, *, org, owner, emails) -> None:
    from django.conf import settings
    from django.db import connection

    started = time.perf_counter()
    size = generate(path, rows, emails)
    print(
        f"generated {rows:,} rows ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s "
        f"({describe_backends()})"
    )
    rss_before = peak_rss_mb()
    if size > settings.IMPORT_MAX_BYTES:
        settings.IMPORT_MAX_BYTES = size
        print(f"IMPORT_MAX_BYTES raised to {size:,} for this run")

    ours, job = import_through_service(path, org=org, owner=owner)
    rss_ours = peak_rss_mb()
    job.file.delete(save=False)  # the stored copy of the upload
    if job.state != "succeeded" or job.created != rows:
        raise SystemExit(f"the import did not load every row: {job.state}, {job.created} created, {job.message}")

    postgres = connection.vendor == "postgresql"
    reference = copy_file(path, org=org, owner=owner, temporary=True) if postgres else None
    regular = copy_file(path, org=org, owner=owner, temporary=False) if postgres else None

    print(f"import service   {rows / ours:>10,.0f} rows/s  ({ours:.1f} s; tasks, activity, checkpoints)")
    if reference is not None:
        print(f"COPY (reference) {rows / reference:>10,.0f} rows/s  ({reference:.1f} s; plain temporary table)")
        print(f"ratio            {reference / ours:>10.2f}      (goal >= 0.50)")
        print(
            f"COPY, logged     {rows / regular:>10,.0f} rows/s  ({regular:.1f} s; the same into a regular table: "
            f"ratio {regular / ours:.2f})"
        )
    else:
        print("COPY reference   skipped: needs PostgreSQL (set DATABASE_URL)")
    print(f"peak memory      {rss_ours:>10.0f} MB    (process RSS; {rss_before:.0f} MB before the import; goal < 300)")


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks imports", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    setup_django()
    with test_database():
        run(args.rows)
