"""List statements prepared on PostgreSQL (``config/statements.py``, ``config/postgresql/base.py``): the ones whose
best plan is the same for every value are prepared by psycopg once a connection has sent them five times, the rest
are planned per request as before; each caller still gets their own rows, and the captured SQL reads as before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.fixed_cost import replay_connection
from config import statements
from tasks_app.models import Status
from tests.tasks_app.conftest import TASKS, forget_prepared_statements, prepared_on_tasks

# What computing a page sends: none served from the page cache.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("computed_pages")]

# Enough for a shape to be learnt (its second request) and its statement sent five times bound.
REQUESTS = 8


@pytest.fixture(autouse=True)
def _fresh():
    forget_prepared_statements()
    yield
    statements.clear()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["data"]]


@pytest.fixture
def tasks(org, other_org, make_task):
    """Tasks of ``org`` assigned to its admin and its member, and of ``other_org`` assigned to its owner."""
    mine = [make_task(title=f"Admin's {n}", assignee=org.admin) for n in range(3)]
    mine += [make_task(title=f"Member's {n}", assignee=org.member, status=Status.DONE) for n in range(2)]
    elsewhere = {"organization": other_org.organization, "created_by": other_org.owner, "assignee": other_org.owner}
    theirs = [make_task(title=f"Theirs {n}", **elsewhere) for n in range(2)]
    return {"admin": mine[:3], "member": mine[3:], "other": theirs}


def test_an_equality_filter_is_prepared_and_each_caller_keeps_their_own_rows(client_for, org, other_org, tasks):
    ours, theirs = client_for(org.viewer), client_for(other_org.viewer)
    path = f"{TASKS}?assignee={{}}&page_size=2"
    expected = {
        (ours, org.admin.pk): [str(task.pk) for task in reversed(tasks["admin"])][:2],
        (ours, org.member.pk): [str(task.pk) for task in reversed(tasks["member"])],
        (theirs, other_org.owner.pk): [str(task.pk) for task in reversed(tasks["other"])],
        (theirs, org.admin.pk): [],  # someone of another organization: none of theirs
    }
    for _ in range(REQUESTS):
        for (client, assignee), rows in expected.items():
            assert ids(client.get(path.format(assignee))) == rows
    prepared = prepared_on_tasks()
    assert any('"tasks_app_task"."assignee_id" IN ($' in statement for statement in prepared), prepared
    assert any(statement.startswith("SELECT COUNT(*)") for statement in prepared), prepared  # the page's count
    response = ours.get(path.format(org.admin.pk))
    assert (
        response.json()["pagination"] | {"total": 3, "total_exact": True, "has_next": True}
        == response.json()["pagination"]
    )


def test_a_person_in_several_organizations_gets_the_merged_page_and_count_prepared(client_for, org, other_org, tasks):
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org.organization, user=org.member)
    client = client_for(org.member)
    every_task = [task for some in tasks.values() for task in some]
    everything = [str(task.pk) for task in sorted(every_task, key=lambda task: task.created_at, reverse=True)]
    for _ in range(REQUESTS):
        response = client.get(f"{TASKS}?page_size=3")
        assert ids(response) == everything[:3]
        assert response.json()["pagination"]["total"] == len(everything) == 7
    # Each organization's rows walked by an equality of its own: the merged page is prepared, and so is its
    # count, read organization by organization (not ``organization_id IN (...)``, whose best plan depends on
    # how big those organizations are).
    prepared = prepared_on_tasks()
    counts = [statement for statement in prepared if statement.startswith("SELECT COUNT(*)")]
    assert any("UNNEST($" in statement for statement in set(prepared) - set(counts)), prepared
    assert counts, prepared
    assert all("UNNEST($" in statement for statement in counts), counts


def test_a_prepared_statement_runs_the_plan_made_once_for_any_value(client_for, org, other_org, tasks):
    # Left to PostgreSQL (plan_cache_mode auto), a prepared statement is planned anew on each of its first five runs,
    # and on every run after while the plan for any value is estimated dearer: the merged page of a person in several
    # organizations was planned on every request. The connection asks for the plan for any value from the first run.
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org.organization, user=org.member)
    several, one = client_for(org.member), client_for(org.viewer)
    for _ in range(REQUESTS):
        assert len(ids(several.get(f"{TASKS}?page_size=3"))) == 3
        assert len(ids(one.get(f"{TASKS}?assignee={org.admin.pk}&page_size=2"))) == 2
    plans = connection.connection.execute(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE NOT from_sql AND statement LIKE %s",
        ["%tasks_app_task%"],
    ).fetchall()
    assert any("UNNEST($" in statement for statement, *_ in plans), plans  # the merged page and count among them
    assert len(plans) == 4, plans  # each page and its count
    assert all(generic > 0 and custom == 0 for _, generic, custom in plans), plans


@pytest.mark.parametrize(("prepared", "mode"), [(True, "force_generic_plan"), (False, "auto")])
def test_plan_cache_mode_is_set_only_where_statements_are_prepared(prepared, mode):
    # DB_PREPARED_STATEMENTS=false (a pooler in transaction mode) leaves the server's own setting.
    other = connection.copy()
    other.settings_dict["OPTIONS"]["prepare_threshold"] = 5 if prepared else None
    try:
        with other.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == mode
    finally:
        other.close()


@pytest.mark.parametrize(
    "query",
    [
        "due_before=2030-01-01",  # a range: its best plan depends on the date
        "assignee={admin},{member}",  # several values: so does theirs
        "assignee={admin}&ordering=-priority",  # an order no index gives with it: every matching row sorted
    ],
)
def test_a_filter_whose_plan_depends_on_its_values_is_not_prepared(client_for, org, tasks, query):
    client = client_for(org.viewer)
    path = f"{TASKS}?{query.format(admin=org.admin.pk, member=org.member.pk)}"
    answers = {tuple(ids(client.get(path))) for _ in range(REQUESTS)}
    assert len(answers) == 1
    assert prepared_on_tasks() == {}


def test_nothing_is_prepared_when_prepared_statements_are_off(client_for, org, tasks):
    client = client_for(org.viewer)
    threshold = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = None  # DB_PREPARED_STATEMENTS=false
    try:
        answers = {tuple(ids(client.get(f"{TASKS}?assignee={org.admin.pk}"))) for _ in range(REQUESTS)}
    finally:
        connection.connection.prepare_threshold = threshold
    assert answers == {tuple(str(task.pk) for task in reversed(tasks["admin"]))}
    assert prepared_on_tasks() == {}


def captured_on_tasks(client, path) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert ids(client.get(path))
    return [query["sql"] for query in captured.captured_queries if '"tasks_app_task"' in query["sql"]]


def test_captured_statements_read_as_before_with_their_values(client_for, org, tasks):
    client = client_for(org.viewer)
    path = f"{TASKS}?assignee={org.admin.pk}&page_size=2"
    before = captured_on_tasks(client, path)  # bound on the client, as Django binds
    for _ in range(REQUESTS):
        client.get(path)
    assert prepared_on_tasks()
    prepared = captured_on_tasks(client, path)
    assert len(prepared) == 2  # the page and its count
    assert prepared == before
    assert org.admin.pk.hex in prepared[0]
    assert "$1" not in prepared[0]


def test_a_rollback_drops_the_prepared_statements_and_the_list_still_answers(client_for, org, tasks):
    client = client_for(org.viewer)
    path = f"{TASKS}?assignee={org.admin.pk}"
    for _ in range(REQUESTS):
        client.get(path)
    assert prepared_on_tasks()
    # A savepoint rolled back (a failed write inside a request's transaction): psycopg deallocates everything.
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT probe")
        cursor.execute("ROLLBACK TO SAVEPOINT probe")
    assert prepared_on_tasks() == {}
    for _ in range(REQUESTS):
        assert ids(client.get(path)) == [str(task.pk) for task in reversed(tasks["admin"])]
    assert prepared_on_tasks()


@pytest.mark.django_db(transaction=True)
def test_a_column_whose_type_another_connection_changed_does_not_break_the_list(client_for, org, tasks):
    """A migration on another connection changes a listed column's type: PostgreSQL refuses the prepared statement
    ("cached plan must not change result type") on every run until it is prepared anew, which the cursor does."""
    client = client_for(org.viewer)
    path = f"{TASKS}?assignee={org.admin.pk}&page_size=2"
    expected = ids(client.get(path))
    for _ in range(REQUESTS):
        client.get(path)
    before = prepared_on_tasks()
    assert before
    with replay_connection() as other:  # a connection of its own to the test database, as a migration's
        other.execute("ALTER TABLE tasks_app_task ALTER COLUMN priority TYPE integer")
        try:
            assert ids(client.get(path)) == expected  # refused, then sent again
            assert prepared_on_tasks() == {}  # what the connection had prepared is gone
            for _ in range(REQUESTS):
                assert ids(client.get(path)) == expected
            assert prepared_on_tasks()  # prepared anew
        finally:
            other.execute("ALTER TABLE tasks_app_task ALTER COLUMN priority TYPE smallint")


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_the_server_lost_is_prepared_anew(client_for, org, tasks):
    """As a pooler in transaction mode loses them (or a DEALLOCATE psycopg did not send): the list still answers."""
    client = client_for(org.viewer)
    path = f"{TASKS}?assignee={org.admin.pk}&page_size=2"
    expected = ids(client.get(path))
    for _ in range(REQUESTS):
        client.get(path)
    assert prepared_on_tasks()
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")  # behind psycopg's back
    assert prepared_on_tasks() == {}
    for _ in range(REQUESTS):
        assert ids(client.get(path)) == expected
    assert prepared_on_tasks()  # prepared anew
