"""Loading many tasks at once, at database speed: PostgreSQL COPY through psycopg 3, ``bulk_create`` elsewhere.

Used by ``tasks_app.services.task_bulk_load`` only, on rows its caller has validated. Each task
gets its description's mentions, written the same way and in the same transaction. No activity row:
a task records the import that created it (``import_job_id``), and its activity shows that as its
``imported`` entry (``tasks_app.selectors.activity_list``); a row per task was about a sixth of the
server's work in an import (docs/performance.md, "Imports").
PERFORMANCE.md: per-row ORM saves and serializers cannot keep up with a CSV file; COPY is
bound by the server, not by Python.
"""

import datetime
import os
from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

from django.db import connection

from config.languages import DEFAULT_SEARCH_LANGUAGE
from tasks_app.models import Status, Task, TaskMention


class TaskLoadRow(NamedTuple):
    """One task to create, already validated: title 1-200 characters, status and priority as stored
    numbers, an assignee who belongs to the organization (or None)."""

    title: str
    description: str
    status: int
    priority: int
    assignee_id: UUID | None
    due_date: datetime.date | None
    # Members its description @mentions (``tasks_app.mentions.mentioned_among``): TaskMention rows, as the API writes.
    mention_ids: tuple = ()


TASK_COLUMNS = (
    ("id", "uuid"),
    ("organization_id", "uuid"),
    ("title", "text"),
    ("description", "text"),
    ("status", "int2"),
    ("priority", "int2"),
    ("created_by_id", "uuid"),
    ("assignee_id", "uuid"),
    ("due_date", "date"),
    ("completed_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("import_job_id", "uuid"),
    # The organization's search language (tasks_app/search.py). A ``regconfig`` travels in binary COPY as its
    # oid, which ``_language_oid`` looks up once per load.
    ("search_language", "oid"),
)
MENTION_COLUMNS = (
    ("task_id", "uuid"),
    ("user_id", "uuid"),
    ("explicit", "bool"),
    ("in_description", "bool"),
    ("created_at", "timestamptz"),
)
_ONE_MICROSECOND = datetime.timedelta(microseconds=1)


def _new_ids(count: int) -> list[UUID]:
    """Random (version 4) UUIDs, from one read of the system's random source for the whole batch."""
    data = os.urandom(16 * count)
    ids = []
    for start in range(0, 16 * count, 16):
        value = int.from_bytes(data[start : start + 16], "big")
        value = (value & ~(0xF000 << 64)) | (4 << 76)  # version 4
        value = (value & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
        ids.append(UUID(int=value))
    return ids


def _copy_sql(model, columns) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name, _ in columns)
    return f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN (FORMAT BINARY)"


def load(
    *,
    organization_id: UUID,
    created_by_id: UUID | None,
    import_job_id: UUID | None,
    rows: Sequence[TaskLoadRow],
    now: datetime.datetime,
    search_language: str = DEFAULT_SEARCH_LANGUAGE,
) -> int:
    """Insert the tasks and their mentions in the current transaction; returns how many.

    Tasks of one call get increasing ``created_at`` (a microsecond apart), so lists ordered by
    creation show them in file order.
    """
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _copy(organization_id, created_by_id, import_job_id, rows, now, _language_oid(search_language))
    else:
        ids = _new_ids(len(rows))
        _bulk_create(organization_id, created_by_id, import_job_id, rows, ids, now, search_language)
    return len(rows)


# Ids are drawn this many at a time as the rows are written: the server starts on the first rows at once
# instead of waiting for the ids of the whole batch.
ID_CHUNK = 500


def _language_oid(language: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regconfig::oid", [language])
        return cursor.fetchone()[0]


def _copy(organization_id, created_by_id, import_job_id, rows, now, language_oid) -> None:
    done = Status.DONE
    ids = []
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with cursor.copy(_copy_sql(Task, TASK_COLUMNS)) as copy:
            copy.set_types([kind for _, kind in TASK_COLUMNS])
            write = copy.write_row
            created_at = now
            for start in range(0, len(rows), ID_CHUNK):
                chunk = rows[start : start + ID_CHUNK]
                chunk_ids = _new_ids(len(chunk))
                ids += chunk_ids
                for task_id, row in zip(chunk_ids, chunk, strict=True):
                    created_at += _ONE_MICROSECOND
                    write(
                        (
                            task_id,
                            organization_id,
                            row.title,
                            row.description,
                            row.status,
                            row.priority,
                            created_by_id,
                            row.assignee_id,
                            row.due_date,
                            created_at if row.status == done else None,
                            created_at,
                            created_at,
                            import_job_id,
                            language_oid,
                        )
                    )
        if any(row.mention_ids for row in rows):
            with cursor.copy(_copy_sql(TaskMention, MENTION_COLUMNS)) as copy:
                copy.set_types([kind for _, kind in MENTION_COLUMNS])
                write = copy.write_row
                for task_id, row in zip(ids, rows, strict=True):
                    for user_id in row.mention_ids:
                        write((task_id, user_id, False, True, now))


def _bulk_create(organization_id, created_by_id, import_job_id, rows, ids, now, search_language) -> None:
    tasks = []
    created_at = now
    for task_id, row in zip(ids, rows, strict=True):
        created_at += _ONE_MICROSECOND
        tasks.append(
            Task(
                id=task_id,
                organization_id=organization_id,
                title=row.title,
                description=row.description,
                status=row.status,
                priority=row.priority,
                created_by_id=created_by_id,
                assignee_id=row.assignee_id,
                due_date=row.due_date,
                completed_at=created_at if row.status == Status.DONE else None,
                created_at=created_at,
                import_job_id=import_job_id,
                search_language=search_language,
            )
        )
    Task.objects.bulk_create(tasks, batch_size=500)
    TaskMention.objects.bulk_create(
        [
            TaskMention(task_id=task_id, user_id=user_id, in_description=True, created_at=now)
            for task_id, row in zip(ids, rows, strict=True)
            for user_id in row.mention_ids
        ],
        batch_size=500,
    )
