"""The task list's shape at scale: a person in several organizations, the bounded count.

The merged read (``config.pagination.merged_rows``) must give exactly the rows and order of the plain
query, for every ordering and page; on SQLite it is the plain query. The plans it depends on are
asserted in ``test_query_plans.py``.
"""

import datetime
import random

import pytest
from django.utils import timezone

from organizations.models import Role
from tasks_app.models import Priority, Status, Task
from tests.factories import MembershipFactory, OrganizationFactory, TaskFactory, UserFactory
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_in_three(client_for):
    """A member of three organizations with 13, 7 and 0 tasks (ties in every field but the id), and a
    fourth organization they are not in."""
    person = UserFactory()
    rng = random.Random(3)
    start = timezone.now() - datetime.timedelta(days=3)
    organizations = [OrganizationFactory() for _ in range(3)]
    for organization in organizations:
        MembershipFactory(organization=organization, user=person, role=Role.MEMBER)
    stranger = OrganizationFactory()
    for organization, count in zip([*organizations, stranger], [13, 7, 0, 5], strict=True):
        for _ in range(count):
            TaskFactory(
                organization=organization,
                created_by=person,
                status=rng.choice(Status.values),
                priority=rng.choice(Priority.values),
                due_date=rng.choice([None, datetime.date(2030, 1, rng.randint(1, 3))]),
                created_at=start + datetime.timedelta(hours=rng.randint(0, 5)),
            )
    return client_for(person), [o.pk for o in organizations]


@pytest.mark.parametrize(
    ("ordering", "page_size"),
    [(None, 3), (None, 100), ("-priority", 8), ("due_date", 6), ("-due_date", 8), ("status,-updated_at", 8)],
)
def test_the_merged_pages_are_the_plain_query_pages(person_in_three, ordering, page_size):
    client, organization_ids = person_in_three
    query = {"page_size": page_size, **({"ordering": ordering} if ordering else {})}
    plain = Task.objects.filter(organization_id__in=organization_ids)
    keys = (ordering.split(",") if ordering else []) + ["-created_at", "-pk"]
    keys = [key for n, key in enumerate(keys) if key.lstrip("-") not in {k.lstrip("-") for k in keys[:n]}]
    expected = [str(pk) for pk in plain.order_by(*keys).values_list("pk", flat=True)]
    seen, page = [], 1
    while True:
        body = client.get(TASKS, {**query, "page": page}).json()
        seen += [row["id"] for row in body["data"]]
        assert body["pagination"]["total"] == 20
        if not body["pagination"]["has_next"]:
            break
        page += 1
    assert seen == expected


def test_the_merged_list_keeps_the_filters(person_in_three):
    client, organization_ids = person_in_three
    response = client.get(TASKS, {"status": "done", "organization": str(organization_ids[1]), "page_size": 2})
    expected = Task.objects.filter(organization_id=organization_ids[1], status=Status.DONE).order_by(
        "-created_at", "-pk"
    )
    assert [row["id"] for row in response.json()["data"]] == [str(pk) for pk in expected.values_list("pk", flat=True)][
        :2
    ]


def test_every_page_costs_the_same_queries(person_in_three, django_assert_num_queries):
    """The merged read is one query (the ids in a subquery) whatever the page and its depth."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _ = person_in_three
    client.get(TASKS)  # the session and membership caches, warm
    with CaptureQueriesContext(connection) as first:
        assert client.get(TASKS, {"page_size": 3}).status_code == 200
    with django_assert_num_queries(len(first)):
        assert client.get(TASKS, {"page_size": 3, "page": 5}).status_code == 200


@pytest.mark.parametrize("limit", [5, 12, 19, 20, 1000])
@pytest.mark.parametrize("query", [{}, {"status": "done"}, {"due_before": "2030-01-02"}])
def test_the_merged_count_is_the_plain_count_up_to_its_bound(person_in_three, settings, limit, query):
    """Counted organization by organization (``config.pagination.merged_count``, PostgreSQL; the plain count on
    SQLite): the same ``total`` and ``total_exact`` as counting them all at once."""
    from tasks_app.filters import TaskFilter

    settings.API_EXACT_COUNT_LIMIT = limit
    client, organization_ids = person_in_three
    plain = TaskFilter(query, queryset=Task.objects.filter(organization_id__in=organization_ids)).qs.count()
    body = client.get(TASKS, {**query, "page_size": 2}).json()
    assert plain > 2  # a next page: the list is counted
    expected = {"total": min(plain, limit), "total_exact": plain <= limit}
    assert {key: body["pagination"][key] for key in expected} == expected
