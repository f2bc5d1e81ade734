"""Staff in the Django admin: jobs by state with their progress and errors, retry and cancel."""

import pytest

from imports.models import ImportJob
from tasks_app.models import Task
from tests.imports.conftest import TASK_HEADER, csv_bytes, task_rows, tasks_csv

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/imports/importjob/"


@pytest.mark.parametrize("query", ["", "?state__exact=failed", "?state__exact=running&kind__exact=tasks", "?q=data"])
def test_the_job_list_loads_with_its_filters(imported, staff, query):
    imported(tasks_csv(2))
    response = staff.get(CHANGELIST + query)
    assert response.status_code == 200


def test_a_job_shows_its_progress_and_errors_inline(imported, staff):
    job = imported(csv_bytes(TASK_HEADER, *task_rows(1), "Bad,,never,,,"))
    response = staff.get(f"{CHANGELIST}{job.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<progress max="100" value="100">' in page
    assert "invalid_choice" in page
    assert "never" in page


def test_retry_and_cancel_actions_call_the_services(upload, staff, django_capture_on_commit_callbacks):
    response = upload(tasks_csv(3), run=False)
    job = ImportJob.objects.get(pk=response.json()["id"])
    staff.post(CHANGELIST, {"action": "cancel_jobs", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.state == "cancelled"
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(CHANGELIST, {"action": "retry_jobs", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.state == "succeeded"
    assert Task.objects.count() == 3
    # A second retry of a job that succeeded is refused, with a message, not an error page.
    response = staff.post(CHANGELIST, {"action": "retry_jobs", "_selected_action": [job.pk]}, follow=True)
    assert response.status_code == 200
    assert "can be retried" in response.content.decode()
