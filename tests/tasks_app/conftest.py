import pytest

from tasks_app.models import Priority, Status, Task
from tasks_app.services import task_create
from tests.organizations.conftest import (  # noqa: F401 - fixtures shared with the organizations suite
    CALLERS,
    MEMBER_ROLES,
    client_as,
    make_org_with_roles,
    org,
    other_org,
    outsider,
    superuser,
)

TASKS = "/api/v1/tasks"


@pytest.fixture
def make_task(org):  # noqa: F811 - the imported fixture
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
