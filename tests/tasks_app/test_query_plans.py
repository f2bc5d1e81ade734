"""The query plans the task list's speed depends on, on PostgreSQL (docs/performance.md, issue 16).

A table of 120,000 tasks in two organizations (written by PostgreSQL, then ANALYZEd) is big enough for the
planner to choose as it would at a million; each test takes the SQL a real API request ran and reads
``EXPLAIN``'s plan: a test fails when the search, the page of a person in several organizations, the first
page of a filter or the bounded count stops using its index, or starts sorting or scanning the table.
"""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from benchmarks.fixed_cost import sent_statements
from organizations.models import Organization, Role
from tests.factories import MembershipFactory, OrganizationFactory, make_org_with_roles
from tests.tasks_app.conftest import TASKS, forget_prepared_statements, prepared_on_tasks

# The plans of computing a page: none served from the page cache.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("computed_pages")]

TASKS_PER_ORGANIZATION = 100_000
RARE = "zeppelin"  # in 5 tasks of the first organization
COMMON = "report"  # in about a third of the descriptions


@pytest.fixture(scope="module")
def big(django_db_setup, django_db_blocker):
    """An organization with its four roles and 100,000 tasks, and a second one with 20,000 its viewer belongs to: made
    once for the module (outside the tests' transactions) and deleted after it."""
    with django_db_blocker.unblock():
        org = make_org_with_roles(name="Big")
        second = OrganizationFactory(name="Big too")
        MembershipFactory(organization=second, user=org.viewer, role=Role.VIEWER)
        with connection.cursor() as cursor:
            # As a bulk load does: the indexes dropped for the load and built after (several times faster).
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks_app_task' "
                           "AND indexname NOT LIKE '%%pkey'")  # fmt: skip
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for organization_id, count in ((org.organization.pk, TASKS_PER_ORGANIZATION), (second.pk, 20_000)):
                cursor.execute(INSERT, {**_parameters(org, organization_id), "n": count})
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute("ANALYZE tasks_app_task")
    yield org
    with django_db_blocker.unblock():
        Organization.all_objects.filter(pk__in=[org.organization.pk, second.pk]).delete()
        User.objects.filter(pk__in=[user.pk for user in org.users.values()]).delete()


INSERT = """
INSERT INTO tasks_app_task (id, organization_id, title, description, status, priority,
                            created_by_id, assignee_id, due_date, created_at, updated_at)
SELECT gen_random_uuid(), %(org)s, 'Task ' || g || ' ' || md5(g::text),
       concat_ws(' ', CASE WHEN g %% 3 = 0 THEN %(common)s END,
                 CASE WHEN %(first)s AND g %% 20000 = 0 THEN %(rare)s END,
                 'about the ' || (ARRAY['budget', 'release', 'hiring', 'office'])[1 + g %% 4]),
       1 + g %% 3, 1 + g %% 4,
       CASE WHEN g %% 50 = 0 THEN %(assignee)s::uuid ELSE %(creator)s::uuid END,
       (ARRAY[NULL, %(assignee)s, %(creator)s, %(viewer)s]::uuid[])[1 + g %% 4],
       CASE WHEN g %% 2 = 0 THEN DATE '2030-01-01' + (g %% 300) END,
       now() - g * interval '1 minute', now()
  FROM generate_series(1, %(n)s) AS g
"""


def _parameters(org, organization_id) -> dict:
    return {
        "org": organization_id,
        "common": COMMON,
        "rare": RARE,
        "first": organization_id == org.organization.pk,
        "creator": org.member.pk,
        "assignee": org.admin.pk,
        "viewer": org.viewer.pk,
        "n": TASKS_PER_ORGANIZATION,
    }


@pytest.fixture
def client_as(big, client_for):
    return lambda role: client_for(big.users[role])


def plans_of(client, path, query=None) -> list[dict]:
    """The plans (EXPLAIN, JSON) of the statements on tasks that one request ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, query)
    assert response.status_code == 200, response.content
    plans = []
    with connection.cursor() as cursor:
        for statement in captured.captured_queries:
            if 'FROM "tasks_app_task"' in statement["sql"] and "COUNT(" not in statement["sql"].upper():
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement["sql"])
                plans.append(_json(cursor.fetchone()[0])[0]["Plan"])
    return plans


def count_plan_of(client, path, query=None) -> dict:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, query).status_code == 200
    (count,) = [s["sql"] for s in captured.captured_queries if "COUNT(" in s["sql"].upper()]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + count)
        return _json(cursor.fetchone()[0])[0]["Plan"]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def task_scans(plan: dict) -> list[tuple[str, str | None]]:
    """``(node type, index)`` of every node that reads the task table."""
    return [
        (node["Node Type"], node.get("Index Name"))
        for node in nodes(plan)
        if node.get("Relation Name") == "tasks_app_task"
        # A bitmap index scan names no relation; the mentions' indexes (a page's mentioned users) are not the task's.
        or (
            "Relation Name" not in node
            and "task_" in (index := node.get("Index Name") or "")
            and "mention" not in index
        )
    ]


def assert_no_table_scan_or_big_sort(plan: dict):
    assert not [n for n in nodes(plan) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "tasks_app_task"]
    for node in nodes(plan):
        if node["Node Type"] == "Sort":
            assert node["Plan Rows"] <= 1000, f"a sort of {node['Plan Rows']} rows: {json.dumps(plan)[:2000]}"


# Each documented filter of one value and the indexes that give its first page in order.
FILTER_INDEXES = [
    ({}, "task_org_created_idx"),
    ({"status": "done"}, "task_org_status_created_idx"),
    ({"priority": "high"}, "task_org_priority_created_idx"),
    ({"assignee": "{admin}"}, "task_org_assignee_created_idx task_assignee_created_idx"),
    ({"created_by": "{admin}"}, "task_org_creator_created_idx"),
]


@pytest.mark.parametrize(("query", "index"), FILTER_INDEXES)
def test_the_first_page_of_each_filter_walks_its_index(big, client_as, query, index):
    query = {key: value.format(admin=big.admin.pk, member=big.member.pk) for key, value in query.items()}
    (plan,) = plans_of(client_as("member"), TASKS, query)  # one organization
    assert plan["Node Type"] == "Limit"
    walked = {name for kind, name in task_scans(plan) if kind in ("Index Scan", "Index Only Scan")}
    assert walked & set(index.split()), plan  # one of the indexes that give the page in order
    assert_no_table_scan_or_big_sort(plan)


def generic_plans_of(client, path, query=None) -> dict[str, dict]:
    """The plans PostgreSQL keeps for every value (``plan_cache_mode = force_generic_plan``) of the statements on
    tasks one request sent prepared, once the list was asked often enough to be prepared
    (``config.statements``): ``{"page": plan, "count": plan}``."""
    forget_prepared_statements()
    for _ in range(8):  # learnt on the second, prepared on the fifth time it is sent bound
        assert client.get(path, query).status_code == 200
    responses = []
    sent = sent_statements(lambda: responses.append(client.get(path, query)))
    assert responses[0].status_code == 200
    prepared = prepared_on_tasks()
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        for sql, params in sent:
            as_sent = _numbered(sql)
            if as_sent in prepared:
                placeholders = ", ".join(["%s"] * len(params))
                cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {prepared[as_sent]}({placeholders})", params)
                kind = "count" if sql.startswith("SELECT COUNT(*)") else "page"
                plans[kind] = _json(cursor.fetchone()[0])[0]["Plan"]
        cursor.execute("SET LOCAL plan_cache_mode = auto")
    return plans


def _numbered(sql: str) -> str:
    """Django's SQL as psycopg sends it bound on the server: ``%s`` numbered ``$1``, ``$2``..., ``%%`` as ``%``."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%[s%]", lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql)


@pytest.mark.parametrize(("query", "index"), FILTER_INDEXES)
def test_the_prepared_first_page_of_each_filter_walks_its_index_whatever_the_value(big, client_as, query, index):
    """A statement prepared is planned once for every value: that plan must be the index walk too, or a value
    unlike the average one would get a plan made for another (config/statements.py)."""
    query = {key: value.format(admin=big.admin.pk) for key, value in query.items()}
    plans = generic_plans_of(client_as("member"), TASKS, query)
    assert set(plans) == {"page", "count"}, plans
    page = plans["page"]
    assert page["Node Type"] == "Limit"
    walked = {name for kind, name in task_scans(page) if kind in ("Index Scan", "Index Only Scan")}
    assert walked & set(index.split()), page
    assert_no_table_scan_or_big_sort(page)
    # The count walks the same index in the list's order, stopped at its bound: never a scan of the table that a
    # plan made for the average organization would stop early in, and a small one would read whole.
    count = plans["count"]
    walked = {name for kind, name in task_scans(count) if kind in ("Index Scan", "Index Only Scan")}
    assert walked & set(index.split()), count
    assert_no_table_scan_or_big_sort(count)


@pytest.mark.parametrize("prepared", [False, True])
def test_the_first_page_of_a_person_in_two_organizations_walks_each_ones_index(big, client_as, prepared):
    if prepared:  # its plan for every value
        plans = generic_plans_of(client_as("viewer"), TASKS)
        assert set(plans) == {"page", "count"}, plans
        plan = plans["page"]
        assert_each_organization_walked(plans["count"], "task_org_created_idx")
    else:
        (plan,) = plans_of(client_as("viewer"), TASKS)
    scans = task_scans(plan)
    # One walk of the index, run for each organization: a nested loop over the organizations' array (a
    # function scan of UNNEST) with the walk on its inner side (LATERAL: config.pagination.merged_rows).
    (loop,) = [
        node
        for node in nodes(plan)
        if node["Node Type"] == "Nested Loop"
        and any(child["Node Type"] == "Function Scan" for child in node.get("Plans", []))
    ]
    walks = [
        (node["Node Type"], node.get("Index Name"))
        for node in nodes(loop)
        if node.get("Index Name") == "task_org_created_idx" and node["Node Type"] in ("Index Scan", "Index Only Scan")
    ]
    assert len(walks) == 1, scans
    assert_no_table_scan_or_big_sort(plan)
    assert "tasks_app_task_pkey" in {index for _, index in scans}  # then the page's rows, by id


def assert_each_organization_walked(plan: dict, index: str) -> None:
    """A nested loop over the organizations' array (a function scan of UNNEST) walking ``index`` for each, the
    walk bounded (a Limit), no sort and no scan of the table (``config.pagination.merged_count``)."""
    (loop,) = [
        node
        for node in nodes(plan)
        if node["Node Type"] == "Nested Loop"
        and any(child["Node Type"] == "Function Scan" for child in node.get("Plans", []))
    ]
    assert any(node["Node Type"] == "Limit" for node in nodes(loop)), plan
    walked = {name for kind, name in task_scans(loop) if kind in ("Index Scan", "Index Only Scan")}
    assert walked == {index}, plan
    assert_no_table_scan_or_big_sort(plan)


def test_the_count_of_a_person_in_two_organizations_walks_each_ones_index(big, client_as):
    """Counted organization by organization, each bounded: never ``organization_id IN (...)`` over both."""
    plan = count_plan_of(client_as("viewer"), TASKS)
    assert plan["Node Type"] == "Aggregate"
    assert_each_organization_walked(plan, "task_org_created_idx")


def test_assigned_to_me_across_organizations_walks_an_index_of_each(big, client_as):
    """The assignee's index, or the organization's when many of its tasks are the person's (then that walk stops
    sooner): either way in order, without a sort."""
    (plan,) = plans_of(client_as("viewer"), f"{TASKS}/assigned")
    indexes = {"task_org_assignee_created_idx", "task_assignee_created_idx", "task_org_created_idx"}
    assert {index for _, index in task_scans(plan)} <= indexes | {"tasks_app_task_pkey"}
    assert_no_table_scan_or_big_sort(plan)


def test_a_rare_word_is_found_through_the_full_text_and_trigram_indexes(big, client_as):
    (plan,) = plans_of(client_as("member"), TASKS, {"search": RARE})
    indexes = {index for _, index in task_scans(plan)}
    assert {"task_search_idx", "task_title_upper_trgm_idx", "task_description_upper_trgm_idx"} <= indexes, plan
    assert_no_table_scan_or_big_sort(plan)


def test_a_word_found_by_its_stem_only_uses_the_full_text_index(big, client_as):
    (plan,) = plans_of(client_as("member"), TASKS, {"search": RARE + "s"})  # not a substring of the word
    assert "task_search_idx" in {index for _, index in task_scans(plan)}, plan
    # Of the tasks: the page's mentioned users are a subquery per row, which may read the few users whole.
    assert not [n for n in nodes(plan) if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "tasks_app_task"]


def test_the_count_stops_at_its_bound(big, client_as, settings):
    """Whatever reads the rows (an index, or the table when most rows match), a Limit stops it at the bound."""
    plan = count_plan_of(client_as("member"), TASKS)
    assert plan["Node Type"] == "Aggregate"
    (limit,) = [node for node in nodes(plan) if node["Node Type"] == "Limit"]
    assert limit["Plan Rows"] == settings.API_EXACT_COUNT_LIMIT + 1
    assert task_scans(limit), plan
