"""A task created already done is completed at the instant it is created, never before.

``completed_at - created_at`` is the reports' cycle time, so a task stamped done a few
microseconds before it was created gave a negative one.
"""

import pytest

from tasks_app.bulk import TaskLoadRow
from tasks_app.models import Priority, Status, Task
from tasks_app.services import task_bulk_load, task_update
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


def test_a_task_created_done_through_the_api_is_completed_when_it_is_created(client_as, org):
    response = client_as("member").post(TASKS, {"organization": str(org.id), "title": "Done", "status": "done"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["completed_at"] == body["created_at"]
    task = Task.objects.get(pk=body["id"])
    assert task.completed_at == task.created_at


def test_a_task_created_done_through_the_service_is_completed_when_it_is_created(make_task):
    task = make_task(status=Status.DONE)
    task.refresh_from_db()
    assert task.completed_at == task.created_at


def test_a_task_finished_later_is_completed_after_it_was_created(make_task, org):
    task = make_task(status=Status.TODO)
    assert task.completed_at is None
    task = task_update(task=task, actor=org.member, status=Status.DONE)
    task.refresh_from_db()
    assert task.completed_at >= task.created_at


def test_tasks_loaded_done_in_bulk_are_completed_when_they_are_created(org):
    rows = [
        TaskLoadRow(f"Task {i}", "", status, Priority.LOW, None, None)
        for i, status in enumerate([Status.DONE, Status.TODO, Status.DONE, Status.IN_PROGRESS, Status.DONE])
    ]
    assert task_bulk_load(organization=org.organization, rows=rows, created_by=org.admin) == len(rows)
    tasks = list(Task.objects.filter(organization=org.organization).order_by("created_at"))
    assert [t.title for t in tasks] == [r.title for r in rows]
    for task in tasks:
        if task.status == Status.DONE:
            assert task.completed_at == task.created_at, task.title
        else:
            assert task.completed_at is None, task.title
