"""What the task endpoints refuse before doing any work: strings that are not strings, lists that are too long."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Comment, Task

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.mark.parametrize("body", [0, 12.5, True, ["x"], {"x": "y"}])
def test_a_comment_body_that_is_not_a_string_is_refused(org, client_for, task, body):
    response = client_for(org.member).post(f"{API}/tasks/{task.pk}/comments", {"body": body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [{"code": "invalid", "message": "Not a valid string.", "field": "body"}]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_task_string_that_is_not_a_string_is_refused(org, client_for, field):
    body = {"organization": str(org.id), "title": "T", field: 0}
    response = client_for(org.member).post(f"{API}/tasks", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Task.objects.exists()


def test_too_many_mentions_are_refused_before_any_is_looked_up(org, client_for):
    client = client_for(org.member)

    def queries_for(count: int) -> int:
        body = {"organization": str(org.id), "title": "T", "mentions": [str(uuid.uuid4()) for _ in range(count)]}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"{API}/tasks", body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["code"] == "max_length"
        return len(queries)

    client.get(
        f"{API}/tasks"
    )  # what is cached about the person (config.person_cache) read once, as by any request before
    # Authentication's queries only: as many for 51 ids as for 10,000.
    assert queries_for(51) == queries_for(10_000)
