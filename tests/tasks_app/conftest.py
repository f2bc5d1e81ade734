import pytest
from django.db import connection

from config import statements
from tasks_app.models import Priority, Status, Task
from tasks_app.services import task_create

TASKS = "/api/v1/tasks"


def forget_prepared_statements() -> None:
    """No shape learnt and nothing prepared on this connection (``config.statements``): a test's lists are learnt
    and prepared anew."""
    statements.clear()
    connection.ensure_connection()
    connection.connection.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's record of what it prepared


def prepared_on_tasks() -> dict[str, str]:
    """``{statement: name}`` of the statements on tasks psycopg prepared on this connection (PostgreSQL)."""
    rows = connection.connection.execute(
        "SELECT statement, name FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE %s",
        ["%tasks_app_task%"],
    ).fetchall()
    return dict(rows)


@pytest.fixture
def make_task(org):
    """``make_task(title=..., organization=..., created_by=..., ...)`` through the real service."""

    def make(**fields) -> Task:
        fields.setdefault("organization", org.organization)
        fields.setdefault("created_by", org.member)
        fields.setdefault("title", "A task")
        return task_create(**fields)

    return make


@pytest.fixture
def task(make_task):
    return make_task(title="Write the report", description="Numbers for Q3", priority=Priority.HIGH, status=Status.TODO)
