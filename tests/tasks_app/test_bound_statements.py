"""Statements compiled once per shape, then only bound (``config.statements``): the same rows as Django's own
querysets, each request its own values, and nothing compiled for a shape seen before."""

import datetime
import threading
import uuid
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection  # noqa: F401 - read by the skipif conditions
from django.db.models import Q
from django.db.models.sql.compiler import SQLCompiler

from config import statements
from config.pagination import bounded_count
from config.records import records
from tasks_app import selectors
from tasks_app.models import Priority, Status, Task
from tests.tasks_app.conftest import TASKS

# What computing a page compiles: none served from the page cache.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("computed_pages")]


@contextmanager
def compiles():
    """The models whose statements Django compiles meanwhile (each ``SQLCompiler.as_sql`` call)."""
    calls = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "as_sql", counted):
        yield calls


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["data"]}


@pytest.fixture
def two_organizations(org, other_org, make_task):
    """Three tasks of ``org`` (two assigned to its admin, one to its member) and two of ``other_org``."""
    mine = {
        "admin 1": make_task(title="One", assignee=org.admin, priority=Priority.HIGH),
        "admin 2": make_task(title="Two", assignee=org.admin, status=Status.DONE),
        "member": make_task(title="Three", assignee=org.member),
    }
    theirs = {
        "owner": make_task(
            title="Elsewhere", organization=other_org.organization, created_by=other_org.owner, assignee=other_org.owner
        ),
        "admin": make_task(
            title="Also elsewhere",
            organization=other_org.organization,
            created_by=other_org.owner,
            assignee=other_org.admin,
        ),
    }
    return {**{f"org {k}": str(v.pk) for k, v in mine.items()}, **{f"other {k}": str(v.pk) for k, v in theirs.items()}}


def test_a_list_seen_before_is_bound_not_compiled_and_each_caller_gets_their_own_rows(
    client_for, org, other_org, two_organizations
):
    tasks = two_organizations
    ours, theirs = client_for(org.viewer), client_for(other_org.viewer)
    path = f"{TASKS}?assignee={{}}&page_size=1"
    ours.get(path.format(org.admin.pk))
    # The first of this shape is compiled as Django does, the second learns it (statements.bound); each person's
    # first request also fills their cache.
    assert ids(ours.get(path.format(org.admin.pk))) <= {tasks["org admin 1"], tasks["org admin 2"]}
    theirs.get(path.format(other_org.owner.pk))
    with compiles() as compiled:
        mine = ours.get(path.format(org.admin.pk))
        assert ids(theirs.get(path.format(other_org.owner.pk))) == {tasks["other owner"]}
        assert ids(theirs.get(path.format(other_org.admin.pk))) == {tasks["other admin"]}
        assert ids(ours.get(path.format(org.member.pk))) == {tasks["org member"]}
        # another organization's person, asked for by id: nothing of theirs, nothing of ours
        assert ids(ours.get(path.format(other_org.owner.pk))) == set()
        assert ids(theirs.get(path.format(org.admin.pk))) == set()
    assert Task not in compiled, "the page and the count of a shape seen before are bound, not compiled"
    page = mine.json()
    assert page["pagination"]["total"] == 2
    assert page["pagination"]["has_next"] is True
    assert len(page["data"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=done",
        "status=todo,done&priority=high",
        "assignee={admin}&ordering=priority",
        "created_by={member}&ordering=-due_date",
        "due_before=2031-01-01",
        "organization={org}",
    ],
)
def test_every_filter_answers_what_django_alone_answers_once_bound(client_as, org, two_organizations, query):
    """Each filter's second request (bound) against its first (compiled) and against the ORM asked directly."""
    query = query.format(admin=org.admin.pk, member=org.member.pk, org=org.id)
    client = client_as("viewer")
    first = client.get(f"{TASKS}?{query}").json()
    assert client.get(f"{TASKS}?{query}").json() == first  # the shape seen again: learnt
    with compiles() as compiled:
        second = client.get(f"{TASKS}?{query}").json()
    assert Task not in compiled
    assert second == first
    expected = {str(pk) for pk in Task.objects.filter(organization=org.organization).values_list("pk", flat=True)}
    assert {row["id"] for row in second["data"]} <= expected


def test_assigned_is_bound_per_person(client_for, org, two_organizations):
    tasks = two_organizations
    for _ in range(2):  # seen, then learnt
        client_for(org.admin).get(f"{TASKS}/assigned")
    with compiles() as compiled:
        assert ids(client_for(org.member).get(f"{TASKS}/assigned")) == {tasks["org member"]}
        assert ids(client_for(org.admin).get(f"{TASKS}/assigned")) == {tasks["org admin 1"], tasks["org admin 2"]}
    assert Task not in compiled  # the member's person and organizations are read (and compiled) the first time


def shaped_tasks(queryset=None):
    """Tasks newest first, shaped, read as records (whose iteration binds a shape seen before)."""
    return statements.shaped(records(queryset if queryset is not None else Task.objects.order_by("-created_at", "-pk")))


def pks(queryset) -> list:
    return [task.pk for task in queryset]


def test_a_value_equal_to_one_of_the_base_statements_constants_is_still_bound_in_its_own_place(make_task):
    for priority in (Priority.LOW, Priority.MEDIUM, Priority.HIGH):
        make_task(title=f"p{priority}", priority=priority)
    base = shaped_tasks(Task.objects.filter(priority__gte=Priority.MEDIUM).order_by("priority"))
    for limit in (Priority.MEDIUM, Priority.LOW, Priority.HIGH, Priority.URGENT):
        plain = Task.objects.filter(priority__gte=Priority.MEDIUM, priority__lte=limit).order_by("priority")
        assert pks(base.filter(priority__lte=limit)) == pks(plain), limit
    entries = [entry for key, entry in statements._shapes.items() if key[0] == id(base._query)]
    assert len(entries) == 1
    assert entries[0] is not statements._UNCACHED


def test_a_substring_is_bound_as_its_pattern_with_like_s_characters_escaped(make_task):
    """``icontains`` sends ``%value%`` with ``%``, ``_`` and ``\\`` escaped: bound in its place as Django writes
    it, so a word holding them finds them literally, as it does compiled."""
    for title in ("Alpha", "Beta", "alphabet", "50% done", "500 done", "a_b", "axb", "back\\slash"):
        make_task(title=title)
    base = shaped_tasks()
    cases = [
        ("alph", {"Alpha", "alphabet"}),
        ("bet", {"Beta", "alphabet"}),
        ("zzz", set()),
        ("50%", {"50% done"}),
        ("a_b", {"a_b"}),
        ("k\\s", {"back\\slash"}),
        ("%", {"50% done"}),
    ]
    for word, expected in cases * 2:  # seen, learnt, then bound for each word
        assert {task.title for task in base.filter(title__icontains=word)} == expected, word
        plain = Task.objects.filter(title__icontains=word)
        assert {task.title for task in plain} == expected, word
    entries = [entry for key, entry in statements._shapes.items() if "title__icontains" in str(key[-1])]
    assert len(entries) == 1
    assert entries[0] not in (statements._UNCACHED, statements._SEEN), "the substring's shape is learnt"
    with compiles() as compiled:
        assert {task.title for task in base.filter(title__icontains="50%")} == {"50% done"}
    assert Task not in compiled


def test_a_value_the_statement_carries_otherwise_transformed_leaves_the_shape_unbound_and_right(make_task):
    for title in ("Alpha", "Beta", "alphabet"):
        make_task(title=title)
    base = shaped_tasks()
    for word in ("Alph", "bet", "Be", "zzz"):  # (SQLite's LIKE ignores case: the ORM's own answer is the reference)
        expected = {task.title for task in Task.objects.filter(title__startswith=word)}
        assert {task.title for task in base.filter(title__startswith=word)} == expected
        _compiler, _sql, params = statements.bound(base.filter(title__startswith=word))
        assert f"{word}%" in params
    key_shapes = [key[-1] for key, entry in statements._shapes.items() if entry is statements._UNCACHED]
    assert any("title__startswith" in str(shape) for shape in key_shapes)


def test_other_types_none_and_booleans_are_other_shapes(org, make_task):
    done = make_task(title="done", assignee=org.admin, status=Status.DONE)
    open_ = make_task(title="open", due_date=datetime.date(2030, 1, 1))
    assert pks(shaped_tasks().filter(assignee_id=None)) == [open_.pk]
    assert pks(shaped_tasks().filter(assignee_id=org.admin.pk)) == [done.pk]
    assert pks(shaped_tasks().filter(due_date__isnull=True)) == [done.pk]
    assert pks(shaped_tasks().filter(due_date__isnull=False)) == [open_.pk]
    assert pks(shaped_tasks().filter(due_date__lte=datetime.date(2030, 1, 1))) == [open_.pk]
    assert pks(shaped_tasks().filter(due_date__lte=datetime.date(2029, 12, 31))) == []
    assert pks(shaped_tasks().filter(status__in=[Status.DONE, Status.TODO])) == [open_.pk, done.pk]
    assert pks(shaped_tasks().filter(status__in=[Status.DONE])) == [done.pk]


def test_slices_and_counts_are_shapes_of_their_own(make_task):
    made = [make_task(title=f"t{n}") for n in range(5)]
    newest = [task.pk for task in reversed(made)]
    for start, stop in ((0, 2), (2, 4), (4, 6), (0, None)):
        assert pks(shaped_tasks()[start:stop]) == newest[start:stop]
    assert bounded_count(shaped_tasks(), at_least=0) == (5, True)
    assert bounded_count(shaped_tasks().filter(title="t1"), at_least=0) == (1, True)
    assert bounded_count(shaped_tasks().filter(title="none"), at_least=0) == (0, True)


def test_a_filter_that_matches_nothing_by_itself_reads_nothing(org, make_task):
    make_task()
    assert list(selectors.task_page().filter(organization_id__in=[])) == []
    assert bounded_count(selectors.task_page().filter(organization_id__in=[]), at_least=0) == (0, True)
    assert len(list(selectors.task_page().filter(organization_id__in=[org.organization.pk]))) == 1


def test_the_base_query_is_never_changed_by_what_is_done_to_its_querysets(org, make_task):
    make_task(title="kept")
    base = selectors._task_page_base()
    before = str(base._query)
    aliases = dict(base._query.alias_map)
    shaped = selectors.task_page().filter(organization_id__in=[org.organization.pk]).order_by("-priority")
    list(shaped[:5])
    list(shaped.exclude(title="x").distinct()[:5])
    list(shaped.filter(Q(title="kept") | Q(title="other")))
    shaped.annotate(n=Q(pk__isnull=False)).count()
    selectors.task_page().query.add_q(Q(title="only on this copy"))
    selectors.task_page().filter(title="x").query.clear_ordering(force=True)
    assert str(base._query) == before
    assert dict(base._query.alias_map) == aliases


def test_operations_it_cannot_record_are_applied_as_django_applies_them(org, make_task):
    kept = make_task(title="kept", assignee=org.admin)
    make_task(title="dropped")
    assert pks(shaped_tasks().filter(assignee=org.admin)) == [kept.pk]  # a model instance: applied at once
    assert pks(shaped_tasks().exclude(title="dropped")) == [kept.pk]
    assert pks(shaped_tasks().filter(title="kept").exclude(title="dropped")[:1]) == [kept.pk]
    with pytest.raises(TypeError):  # as Django says
        shaped_tasks()[:1].filter(title="kept")
    with pytest.raises(TypeError):
        shaped_tasks()[:1].order_by("title")


def test_the_shapes_kept_are_bounded(monkeypatch, make_task):
    make_task(title="t")
    monkeypatch.setattr(statements, "MAX_SHAPES", 3)
    statements.clear()
    for stop in range(1, 8):
        assert len(pks(shaped_tasks()[:stop])) == 1
    assert len(statements._shapes) == 3


def test_threads_binding_one_shape_each_get_their_own_rows(make_task):
    """Bound statements are built per call: threads sharing a shape never share parameters."""
    by_title = {make_task(title=f"t{n}").pk: f"t{n}" for n in range(6)}
    list(shaped_tasks().filter(title="t0"))  # learnt
    results, errors = {}, []

    def read(title):
        try:
            _compiler, _sql, params = statements.bound(shaped_tasks().filter(title=title))
            results[title] = params
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=read, args=(title,)) for title in by_title.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for title, params in results.items():
        assert title in params
        assert not any(other in params for other in by_title.values() if other != title)


def test_a_person_in_several_organizations_gets_their_own_merged_page_bound(client_for):
    """The first page merged from each organization's first rows (``config.pagination.merged_rows``, PostgreSQL;
    the plain slice elsewhere) is a shape too: a second person in as many other organizations gets theirs bound."""
    from organizations.models import Role
    from tests.factories import MembershipFactory, OrganizationFactory, TaskFactory, UserFactory

    people = {}
    for name in ("first", "second"):
        person = UserFactory()
        titles = []
        for index in range(3):
            organization = OrganizationFactory()
            MembershipFactory(organization=organization, user=person, role=Role.MEMBER)
            for number in range(2):
                titles.append(f"{name} {index}.{number}")
                TaskFactory(organization=organization, created_by=person, title=titles[-1])
        people[name] = (client_for(person), set(titles))
    first, second = people["first"][0], people["second"][0]
    for _ in range(2):
        first.get(f"{TASKS}?page_size=4")  # seen, then learnt
    second.get("/api/v1/users/me")  # the second person's cached state, read once
    second.get(f"{TASKS}?organization={OrganizationFactory().pk}")  # their memberships too (another shape)
    with compiles() as compiled:
        body = second.get(f"{TASKS}?page_size=4").json()
    assert Task not in compiled
    assert {row["title"] for row in body["data"]} <= people["second"][1]
    assert len(body["data"]) == 4
    assert body["pagination"]["total"] == 6
    plain = Task.objects.filter(title__in=people["second"][1]).order_by("-created_at", "-pk")
    assert [row["id"] for row in body["data"]] == [str(pk) for pk in plain.values_list("pk", flat=True)[:4]]


def test_a_shape_seen_once_is_compiled_as_django_does_and_learnt_the_second_time(make_task):
    """A page visited once (a deep page, a rare filter) never pays the learning's two extra compiles."""
    make_task(title="t")
    base = shaped_tasks()
    with compiles() as first:
        pks(base[7:9])
    with compiles() as second:
        pks(base[7:9])
    with compiles() as third:
        pks(base[7:9])
    assert (len(first), len(second), len(third)) == (1, 3, 0)


def test_a_hundred_values_per_filter_are_each_bound_in_their_place(org, make_task):
    """The most values a filter takes (``config.filters.MAX_FILTER_VALUES``), in two filters at once."""
    from config.filters import MAX_FILTER_VALUES

    tasks = [make_task(title=f"t{n}") for n in range(3)]
    strangers = [uuid.uuid4() for _ in range(MAX_FILTER_VALUES - 1)]
    base = shaped_tasks()
    for _ in range(2):  # seen, then learnt
        pks(base.filter(pk__in=[*strangers, tasks[0].pk], title__in=[f"x{n}" for n in range(100)]))
    for task in tasks:
        shuffled = [*strangers[:50], task.pk, *strangers[50:]]
        titles = [*(f"x{n}" for n in range(99)), f"t{tasks.index(task)}"]
        with compiles() as compiled:
            assert pks(base.filter(pk__in=shuffled, title__in=titles)) == [task.pk]
        assert compiled == []


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the full-text search is PostgreSQL's")
def test_a_search_seen_before_is_bound_and_each_request_finds_its_own_words(client_for, org, other_org, make_task):
    """A search is recorded, not built (``tasks_app.search``): the second of a shape (its languages, how many terms
    it includes and excludes) is learnt, and after that every search of that shape is bound, with its own words in
    the full-text query, the ranking and the substring patterns, each caller's own organization's tasks only."""
    make_task(title="Deployment checklist", description="Before we deploy on Friday")
    make_task(title="Printer broken", description="Third floor, again")
    make_task(title="Invoice 50% paid", description="deploy_script attached")
    make_task(title="Elsewhere deploy", organization=other_org.organization, created_by=other_org.owner)
    ours, theirs = client_for(org.viewer), client_for(other_org.viewer)

    def found(client, text, **query):
        response = client.get(TASKS, {"search": text, **query})
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["data"]]

    for _ in range(2):  # seen, then learnt: a word, a word too short for substrings, one excluded, another order
        found(ours, "printer")
        found(ours, "pr")
        found(ours, "deploy -friday")
        found(ours, "printer", ordering="-created_at")
    with compiles() as compiled:
        assert found(ours, "deploy") == ["Deployment checklist", "Invoice 50% paid"]  # the title ranks first
        assert found(ours, "printer") == ["Printer broken"]
        assert found(ours, "50%") == ["Invoice 50% paid"]  # a substring, LIKE's % escaped
        assert found(ours, "y_s") == ["Invoice 50% paid"]  # and its _
        assert found(ours, "ys") == []
        assert found(ours, "zeppelin") == []
        assert found(theirs, "deploy") == ["Elsewhere deploy"]
        assert found(theirs, "printer") == []
        assert found(ours, "deploy -friday") == ["Invoice 50% paid"]
        assert found(ours, "printer -floor") == []
        assert found(ours, "eploy -frid") == ["Invoice 50% paid"]  # substrings only: "Friday" excludes the other
        assert found(ours, "deploy", ordering="-created_at") == ["Invoice 50% paid", "Deployment checklist"]
    assert Task not in compiled, "searches of shapes seen before are bound, pages and counts alike"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the full-text search is PostgreSQL's")
def test_a_search_bound_over_several_organizations_ranks_each_in_its_language(client_for, org):
    """A person in an English and a French organization: the search's shape holds both languages (a ranking per
    language), and the merged first page of the two is bound too, for another word."""
    from organizations.models import Role
    from tasks_app.services import task_create
    from tests.factories import MembershipFactory, OrganizationFactory

    french = OrganizationFactory(language="french")
    MembershipFactory(organization=french, user=org.viewer, role=Role.VIEWER)
    task_create(organization=french, created_by=None, title="Les chevaux mangeaient", description="")
    task_create(organization=org.organization, created_by=None, title="The horses were eating", description="")
    client = client_for(org.viewer)

    def found(text):
        response = client.get(TASKS, {"search": text})
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["data"]]

    for _ in range(2):
        found("nothing")
    with compiles() as compiled:
        assert found("cheval") == ["Les chevaux mangeaient"]
        assert found("horse") == ["The horses were eating"]
    assert Task not in compiled


def test_mentions_are_bound_per_person(client_for, org, make_task):
    """``?mentioned=`` and ``/tasks/mentioned`` (in the task, in its comments, or either) are steps of the shaped
    page: learnt once, then bound for any person, each finding the tasks that mention the people asked for."""
    from tasks_app.services import comment_create

    admin, member, viewer = org.admin, org.member, org.viewer
    make_task(title="Admin named", mentions=[admin])
    make_task(title="Member named", mentions=[member])
    make_task(title="Both named", mentions=[admin, member])
    comment_create(task=make_task(title="Viewer in a comment"), author=member, body=f"@{viewer.username} see this")
    make_task(title="Nobody named")

    def titles(client, path, **query):
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        return sorted(row["title"] for row in response.json()["data"])

    reader = client_for(viewer)
    people = {name: client_for(user) for name, user in (("admin", admin), ("member", member), ("viewer", viewer))}
    for _ in range(2):  # seen, then learnt
        titles(reader, TASKS, mentioned=str(admin.pk))
        titles(reader, TASKS, mentioned=f"{admin.pk},{member.pk}")
        for where in ("all", "task", "comments"):
            titles(people["admin"], f"{TASKS}/mentioned", **{"in": where})
    for client in people.values():
        titles(client, f"{TASKS}/mentioned")  # each person's own cached state, read once
    with compiles() as compiled:
        assert titles(reader, TASKS, mentioned=str(member.pk)) == ["Both named", "Member named"]
        assert titles(reader, TASKS, mentioned=str(admin.pk)) == ["Admin named", "Both named"]
        assert titles(reader, TASKS, mentioned=f"{member.pk},{viewer.pk}") == ["Both named", "Member named"]
        assert titles(people["member"], f"{TASKS}/mentioned") == ["Both named", "Member named"]
        assert titles(people["viewer"], f"{TASKS}/mentioned") == ["Viewer in a comment"]
        assert titles(people["viewer"], f"{TASKS}/mentioned", **{"in": "task"}) == []
        assert titles(people["member"], f"{TASKS}/mentioned", **{"in": "comments"}) == []
    assert Task not in compiled
