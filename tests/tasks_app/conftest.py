import pytest

from tasks_app.models import Priority, Status, Task
from tasks_app.services import task_create

TASKS = "/api/v1/tasks"


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
