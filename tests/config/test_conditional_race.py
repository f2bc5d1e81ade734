"""Two editors with the same If-Match at the same moment, each on its own connection (config/conditional.py).

PostgreSQL only (the ``postgres`` marker skips it on the embedded SQLite, which runs one writer at a time
and has no row locks to test): the first editor holds the row lock inside its write while the second's
request waits on it; the second must then see the first's change and answer 412, never write over it.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from devtools.processes import wait_until
from sessions_app.services import session_create
from tasks_app import services as task_services
from tasks_app.models import Task
from tests.factories import make_org_with_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def signed_in(user) -> APIClient:
    _, tokens = session_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_of_two_editors_with_the_same_if_match_one_writes_and_the_other_gets_412(monkeypatch, method):
    org = make_org_with_roles(name="Race")
    task = task_services.task_create(organization=org.organization, created_by=org.member, title="Draft")
    first, second = signed_in(org.member), signed_in(org.admin)
    url = f"/api/v1/tasks/{task.pk}"
    etag = first.get(url)["ETag"]
    assert second.get(url)["ETag"] == etag  # both read the same version

    # The first editor's write pauses inside the service, the row locked, until the second one waits.
    first_is_writing, let_first_finish = threading.Event(), threading.Event()
    real = {"patch": task_services.task_update, "delete": task_services.task_delete}[method]

    def paused(**kwargs):
        if kwargs["actor"] == org.member:
            first_is_writing.set()
            let_first_finish.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(task_services, real.__name__, paused)
    answers = {}

    def edit(name, client, title):
        try:
            if method == "patch":
                answers[name] = client.patch(url, {"title": title}, HTTP_IF_MATCH=etag)
            else:
                answers[name] = client.delete(url, HTTP_IF_MATCH=etag)
        finally:
            connection.close()

    one = threading.Thread(target=edit, args=("first", first, "First's"))
    one.start()
    assert first_is_writing.wait(timeout=30)
    two = threading.Thread(target=edit, args=("second", second, "Second's"))
    two.start()
    try:
        # The second request reaches the row lock and waits there (it already read the task for its access check).
        wait_until(lambda: backends_waiting_on_a_lock() or not two.is_alive(), timeout=10, message="the 2nd editor")
    finally:
        let_first_finish.set()
        one.join(timeout=30)
        two.join(timeout=30)

    assert answers["first"].status_code == (200 if method == "patch" else 204), answers["first"].content
    if method == "patch":
        assert answers["second"].status_code == 412, answers["second"].content
        assert answers["second"].json()["current"]["title"] == "First's"
        assert answers["second"]["ETag"] == answers["first"]["ETag"]
        assert Task.objects.get(pk=task.pk).title == "First's"
    else:
        assert answers["second"].status_code == 404, answers["second"].content  # gone: no precondition to check
        assert not Task.objects.filter(pk=task.pk).exists()
