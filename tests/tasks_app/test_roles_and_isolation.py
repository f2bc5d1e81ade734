"""No task of another organization is reachable by id; superusers reach any.

Who may call each task endpoint is in the one authorization matrix, tests/security/test_authorization_matrix.py.
"""

import pytest

from tasks_app.models import Task
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


def fill(value, **names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, **names) for k, v in value.items()}
    return value


def test_superuser_reads_and_edits_any_task(client_for, superuser, task):
    client = client_for(superuser)
    assert client.get(f"{TASKS}/{task.pk}").status_code == 200
    assert client.patch(f"{TASKS}/{task.pk}", {"title": "By staff"}).status_code == 200


ISOLATION = [
    ("get", "{task}", None),
    ("patch", "{task}", {"title": "hijack"}),
    ("delete", "{task}", None),
    ("get", "{task}/comments", None),
    ("post", "{task}/comments", {"body": "hijack"}),
    ("get", "{task}/activity", None),
]


@pytest.mark.parametrize("caller", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize(("method", "path", "body"), ISOLATION)
def test_tasks_of_another_organization_answer_404(client_as, other_org, method, path, body, caller):
    from tasks_app.services import task_create

    theirs = task_create(organization=other_org.organization, created_by=other_org.member, title="Secret")
    response = getattr(client_as(caller), method)(path.format(task=f"{TASKS}/{theirs.pk}"), body)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.title == "Secret"
    assert not theirs.comments.exists()


@pytest.mark.parametrize("caller", ["owner", "admin", "member", "viewer"])
def test_lists_never_show_another_organizations_tasks(client_as, org, other_org, caller, make_task):
    theirs = make_task(organization=other_org.organization, created_by=other_org.member, assignee=other_org.viewer)
    client = client_as(caller)
    for path in (TASKS, f"{TASKS}?organization={other_org.id}", f"{TASKS}?search=A task", f"{TASKS}/assigned"):
        assert str(theirs.pk) not in [t["id"] for t in client.get(path).json()["data"]]
    assert Task.objects.filter(pk=theirs.pk).exists()
