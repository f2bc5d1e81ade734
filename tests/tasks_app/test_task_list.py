import datetime

import pytest
from django.db.models.signals import post_init
from django.utils import timezone

from tasks_app.models import Priority, Status, Task
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["data"]]


@pytest.fixture
def tasks(org, other_org, make_task):
    """Five tasks of ``org`` with distinct attributes, and one of another organization."""
    today = datetime.date(2030, 1, 15)
    made = {
        "a": make_task(title="Alpha launch", status=Status.TODO, priority=Priority.LOW, due_date=today),
        "b": make_task(
            title="Beta",
            description="launch the rocket",
            status=Status.IN_PROGRESS,
            priority=Priority.URGENT,
            assignee=org.admin,
            due_date=today + datetime.timedelta(days=10),
        ),
        "c": make_task(title="Gamma", status=Status.DONE, priority=Priority.HIGH, created_by=org.admin),
        "d": make_task(title="Delta", description=f"for @{org.viewer.username}", priority=Priority.MEDIUM),
        "e": make_task(
            title="Epsilon", assignee=org.admin, priority=Priority.MEDIUM, due_date=today - datetime.timedelta(days=10)
        ),
        "other": make_task(title="Alpha elsewhere", organization=other_org.organization, created_by=other_org.owner),
    }
    # distinct creation times, a first, so that ordering is observable
    base = timezone.now() - datetime.timedelta(days=1)
    for n, key in enumerate(["a", "b", "c", "d", "e", "other"]):
        Task.objects.filter(pk=made[key].pk).update(created_at=base + datetime.timedelta(minutes=n))
    return {k: str(v.pk) for k, v in made.items()}


def test_lists_only_the_callers_organizations_newest_first(client_as, tasks):
    assert ids(client_as("viewer").get(TASKS)) == [tasks[k] for k in "edcba"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=in_progress", "b"),
        ("status=done", "c"),
        ("priority=medium", "ed"),
        ("assignee={admin}", "eb"),
        ("created_by={admin}", "c"),
        ("mentioned={viewer}", "d"),
        ("due_before=2030-01-15", "ea"),
        ("due_after=2030-01-16", "b"),
        ("due_after=2030-01-06&due_before=2030-01-20", "a"),
        ("search=launch&ordering=-created_at", "ba"),
        ("search=LAUNCH rocket", "b"),
        ("organization={org}", "edcba"),
        ("status=todo&priority=low", "a"),
    ],
)
def test_filters(client_as, org, tasks, query, expected):
    query = query.format(admin=org.admin.pk, viewer=org.viewer.pk, org=org.id)
    assert ids(client_as("viewer").get(f"{TASKS}?{query}")) == [tasks[k] for k in expected]


def test_organization_filter_of_another_organization_is_empty(client_as, other_org, tasks):
    assert ids(client_as("viewer").get(f"{TASKS}?organization={other_org.id}")) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("created_at", "abcde"),
        ("-created_at", "edcba"),
        ("priority", "aedcb"),
        ("-priority", "bceda"),
        ("status", "edabc"),
        ("due_date", "eab"),
    ],
)
def test_ordering(client_as, tasks, ordering, expected):
    got = ids(client_as("viewer").get(f"{TASKS}?ordering={ordering}"))
    # tasks without a due date sort last (PostgreSQL) or first (SQLite): compare the dated ones
    if ordering == "due_date":
        got = [i for i in got if i in {tasks[k] for k in expected}]
    assert got == [tasks[k] for k in expected]


@pytest.mark.parametrize(
    "query", ["status=later", "priority=x", "assignee=nope", "due_before=tomorrow", "organization=1", "mentioned=x"]
)
def test_bad_filter_values_answer_400(client_as, tasks, query):
    response = client_as("viewer").get(f"{TASKS}?{query}")
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_pages_do_not_overlap(client_as, tasks):
    client = client_as("viewer")
    first = ids(client.get(f"{TASKS}?ordering=priority&page_size=2&page=1"))
    second = ids(client.get(f"{TASKS}?ordering=priority&page_size=2&page=2"))
    third = ids(client.get(f"{TASKS}?ordering=priority&page_size=2&page=3"))
    assert len(set(first + second + third)) == 5


@pytest.mark.parametrize(
    "path", [TASKS, f"{TASKS}?status=todo&ordering=-priority", f"{TASKS}/assigned", f"{TASKS}/mentioned"]
)
def test_list_costs_fixed_queries_whatever_the_page_size(
    client_as, org, make_task, path, django_assert_max_num_queries
):
    for n in range(12):
        make_task(title=f"t{n}", assignee=org.viewer, description=f"@{org.viewer.username} @{org.admin.username}")
    client = client_as("viewer")
    joiner = "&" if "?" in path else "?"
    # user, the caller's organization ids, count, page, mentions prefetch
    for size in (1, 12):
        with django_assert_max_num_queries(5):
            assert client.get(f"{path}{joiner}page_size={size}").status_code == 200


def test_detail_and_sub_lists_cost_fixed_queries(client_as, org, task, django_assert_max_num_queries):
    client = client_as("member")
    for n in range(5):
        client.post(f"{TASKS}/{task.pk}/comments", {"body": f"c{n} @{org.admin.username}"})
    # user, the caller's organization ids, task, mentions, membership (+ count, rows, prefetch on lists)
    with django_assert_max_num_queries(5):
        assert client.get(f"{TASKS}/{task.pk}").status_code == 200
    for sub in ("comments", "activity"):
        for size in (1, 20):
            with django_assert_max_num_queries(8):
                assert client.get(f"{TASKS}/{task.pk}/{sub}?page_size={size}").status_code == 200


@pytest.mark.parametrize("path", [TASKS, f"{TASKS}?assignee={{viewer}}", f"{TASKS}/assigned"])
def test_a_page_reads_its_mentions_with_its_rows(
    client_as, org, make_task, path, django_assert_num_queries, computed_pages
):
    """The mentioned people come with the page's rows (a JSON aggregate per task), not from a query of their own:
    the page alone (the user and the caller's organizations come from the cache: config.person_cache); the count
    only when the list is longer than the page."""
    people = sorted([org.viewer, org.admin, org.member], key=lambda user: user.username)
    for n in range(3):
        mentions = " ".join(f"@{user.username}" for user in people[: n + 1])
        make_task(title=f"t{n}", assignee=org.viewer, description=f"for {mentions}")
    client = client_as("viewer")
    path = path.format(viewer=org.viewer.pk)
    # Once first: SQLite's backend probes its JSON support on a connection's first JSON query, and what is cached
    # about the person is read.
    client.get(path)
    with django_assert_num_queries(1):
        response = client.get(path)
    rows = response.json()["data"]
    assert [len(row["mentions"]) for row in rows] == [3, 2, 1]
    for row in rows:  # by username, each as a user reference
        expected = people[: len(row["mentions"])]
        assert row["mentions"] == [
            {"id": str(user.pk), "username": user.username, "full_name": user.full_name} for user in expected
        ]
    with django_assert_num_queries(2):  # a page of 2 out of 3: the bounded count too
        assert len(client.get(f"{path}{'&' if '?' in path else '?'}page_size=2").json()["data"]) == 2


def test_a_bad_value_among_blank_ones_is_still_a_400(client_as, tasks):
    """Found by the schema fuzzer: the filters are skipped only when every value of every filter is blank."""
    response = client_as("viewer").get(f"{TASKS}?priority=&priority=&status=nope&status=")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"


def test_the_task_list_builds_no_task_or_user_instances(client_as, make_task, org):
    """A page of tasks is rendered from records: no model instance of a task or of its people per row."""
    for n in range(5):
        make_task(title=f"Task {n}", assignee=org.admin)
    built = []

    def count(sender, instance, **kwargs):
        built.append(sender.__name__)

    client = client_as("member")
    client.get(TASKS)  # the person and their organizations cached, as after any first request
    post_init.connect(count)
    try:
        response = client.get(TASKS)
    finally:
        post_init.disconnect(count)
    assert response.status_code == 200
    assert len(response.json()["data"]) == 5
    assert "Task" not in built
    assert built.count("User") == 0, built


@pytest.mark.parametrize("path", [TASKS, f"{TASKS}/assigned", f"{TASKS}/mentioned"])
def test_a_person_in_no_organization_has_an_empty_list_and_its_last_page(client_for, path):
    from tests.factories import UserFactory

    client = client_for(UserFactory())
    for query in ("", "?page=last"):
        response = client.get(f"{path}{query}")
        assert response.status_code == 200, response.content
        assert response.json()["data"] == []
        assert response.json()["pagination"]["total"] == 0
