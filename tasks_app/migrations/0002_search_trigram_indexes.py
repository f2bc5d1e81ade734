"""Trigram indexes so that ``?search=`` (ILIKE '%word%') does not scan every task, on PostgreSQL.

pg_trgm needs CREATE privilege on the database; where the extension cannot be created the
indexes are skipped with a warning and search still works, by scanning.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "task_title_trgm_idx": "title",
    "task_description_trgm_idx": "description",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - any failure means: no extension, search scans
        logger.warning("pg_trgm unavailable (%s); task search will scan without an index.", exc)
        return
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tasks_app_task USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tasks_app", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
