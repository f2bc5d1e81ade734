"""Every task endpoint x every caller, and no task of another organization reachable by id."""

import pytest

from tasks_app.models import Task
from tests.factories import CALLERS
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db

# (method, path, body) -> expected status per caller, in CALLERS order:
# owner, admin, member (the task's creator), viewer, outsider, anonymous
MATRIX = [
    ("get", "{tasks}", None, [200, 200, 200, 200, 200, 401]),
    ("post", "{tasks}", {"organization": "{org}", "title": "New"}, [201, 201, 201, 403, 404, 401]),
    ("get", "{tasks}/assigned", None, [200, 200, 200, 200, 200, 401]),
    ("get", "{tasks}/mentioned", None, [200, 200, 200, 200, 200, 401]),
    ("get", "{task}", None, [200, 200, 200, 200, 404, 401]),
    ("patch", "{task}", {"title": "Renamed"}, [200, 200, 200, 403, 404, 401]),
    ("delete", "{task}", None, [204, 204, 204, 403, 404, 401]),
    ("get", "{task}/comments", None, [200, 200, 200, 200, 404, 401]),
    ("post", "{task}/comments", {"body": "Hello"}, [201, 201, 201, 403, 404, 401]),
    ("get", "{task}/activity", None, [200, 200, 200, 200, 404, 401]),
]
CASES = [
    pytest.param(method, path, body, caller, expected[i], id=f"{method} {path} as {caller}")
    for method, path, body, expected in MATRIX
    for i, caller in enumerate(CALLERS)
]


def fill(value, **names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, **names) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "caller", "expected"), CASES)
def test_role_matrix(client_as, org, task, method, path, body, caller, expected):
    names = {"tasks": TASKS, "task": f"{TASKS}/{task.pk}", "org": str(org.id)}
    response = getattr(client_as(caller), method)(fill(path, **names), fill(body, **names))
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["success"] is False


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
