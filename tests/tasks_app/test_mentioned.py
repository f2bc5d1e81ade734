"""``GET /tasks/mentioned``: tasks that mention the caller in themselves or in a comment (``?in=``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.services import comment_create, comment_delete

pytestmark = pytest.mark.django_db

MENTIONED = "/api/v1/tasks/mentioned"


@pytest.fixture
def world(org, make_task):
    viewer = org.viewer
    in_task = make_task(title="In the task", description=f"Over to @{viewer.username}")
    in_comment = make_task(title="In a comment")
    comment_create(task=in_comment, author=org.member, body=f"@{viewer.username}, thoughts?")
    comment_create(task=in_comment, author=org.admin, body=f"Yes @{viewer.username}!")  # twice: listed once
    both = make_task(title="Both", mentions=[viewer])
    comment_create(task=both, author=org.member, body=f"cc @{viewer.username}")
    deleted = make_task(title="Only in a deleted comment")
    comment_delete(
        comment=comment_create(task=deleted, author=org.member, body=f"@{viewer.username}"), actor=org.member
    )
    make_task(title="Nothing", description="@nobody")
    return {"task": in_task, "comment": in_comment, "both": both}


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["data"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Both", "In a comment", "In the task"]),
        ("?in=all", ["Both", "In a comment", "In the task"]),
        ("?in=task", ["Both", "In the task"]),
        ("?in=comments", ["Both", "In a comment"]),
        ("?in=comments&status=todo&ordering=-created_at", ["Both", "In a comment"]),
    ],
)
def test_where_the_caller_is_mentioned(org, client_for, world, query, expected):
    response = client_for(org.viewer).get(f"{MENTIONED}{query}")
    assert titles(response) == expected
    assert response.json()["pagination"]["total"] == len(expected)


def test_a_bad_in_is_a_400(org, client_for, world):
    response = client_for(org.viewer).get(f"{MENTIONED}?in=everywhere")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "in"


def test_another_organizations_mentions_are_not_seen(org, other_org, client_for, make_task, world):
    theirs = make_task(organization=other_org.organization, created_by=other_org.owner)
    # An outsider mentioned by name in another organization's comment is not a member there: no mention.
    comment_create(task=theirs, author=other_org.owner, body=f"@{org.viewer.username}")
    assert "A task" not in titles(client_for(org.viewer).get(MENTIONED))


def test_a_fixed_number_of_queries_whatever_the_matches(org, client_for, make_task, world):
    client = client_for(org.viewer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MENTIONED).status_code == 200
        return len(captured)

    queries()  # what is cached about the person (config.person_cache) read once, as by any request before
    few = queries()
    for n in range(10):
        task = make_task(title=f"More {n}", mentions=[org.viewer, org.admin])
        comment_create(task=task, author=org.member, body=f"@{org.viewer.username} @{org.admin.username}")
    assert queries() == few
