"""Pages of tasks kept while nothing they show changes (tasks_app/page_cache.py), through the API as the frontend
reads them: served again with one statement (the versions), and never once something they show has changed,
whatever changed it; each person, organization and token their own."""

import sqlite3
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from organizations.models import Membership, Organization, Role
from organizations.services import membership_remove, organization_update
from tasks_app import page_cache
from tasks_app.models import Status, Task, TaskMention
from tasks_app.services import comment_create, task_create, task_delete, task_restore, task_update
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db

PAGES = [TASKS, f"{TASKS}?status=todo&ordering=-priority", f"{TASKS}?search=report", f"{TASKS}/assigned"]


@pytest.fixture
def tasks(org, make_task):
    return [
        make_task(title=f"Quarterly report {n}", description=f"for @{org.admin.username}", assignee=org.admin)
        for n in range(3)
    ]


def computed(client, path, settings):
    """The page as computed now, the cache out of the way."""
    seconds, settings.TASK_PAGE_CACHE_SECONDS = settings.TASK_PAGE_CACHE_SECONDS, 0
    try:
        response = client.get(path)
    finally:
        settings.TASK_PAGE_CACHE_SECONDS = seconds
    assert response.status_code == 200, response.content
    return response.json()


def task_statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if '"tasks_app_task"' in query["sql"]]


def kept(client, path) -> bytes:
    """Ask for ``path`` twice: the second answer, served from the cache (only the versions read)."""
    first = client.get(path)
    assert first.status_code == 200, first.content
    with CaptureQueriesContext(connection) as captured:
        again = client.get(path)
    assert again.status_code == 200
    (versions,) = captured.captured_queries  # the versions, nothing else
    assert "tasks_app_taskpageversion" in versions["sql"]
    assert again.content == first.content
    return again.content


def test_the_migration_installs_the_triggers_the_cache_checks_for():
    """The test database gets them from migration 0008's own function (tests/conftest.py), as a migrated one does."""
    if connection.vendor == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s"
    with connection.cursor() as cursor:
        cursor.execute(query, ["%pages%"])
        assert {name for (name,) in cursor.fetchall()} == set(page_cache.TRIGGERS)
    assert page_cache.installed()


@pytest.mark.parametrize("path", PAGES)
def test_a_page_asked_again_is_the_same_answer_read_with_one_statement(client_as, tasks, path, settings):
    client = client_as("admin")
    first = client.get(path)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(path)
    assert len(captured) == 1  # the versions: no page, no count
    assert again.content == first.content
    assert again.json() == computed(client, path, settings)
    assert len(again.json()["data"]) >= 1
    for header in ("Content-Type", "ETag", "Vary", "Allow"):
        assert again.get(header) == first.get(header), header
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_each_page_and_query_is_its_own(client_as, tasks):
    client = client_as("admin")
    one = client.get(f"{TASKS}?page_size=1").json()
    two = client.get(f"{TASKS}?page_size=1&page=2").json()
    assert one["data"] != two["data"]
    assert client.get(f"{TASKS}?page_size=1&page=2").json() == two
    assert client.get(f"{TASKS}?page_size=1").json() == one
    assert len(client.get(TASKS).json()["data"]) == 3


def test_errors_are_never_kept(client_as, tasks):
    client = client_as("admin")
    for _ in range(2):
        assert client.get(f"{TASKS}?page=9").status_code == 404
        assert client.get(f"{TASKS}?status=nope").status_code == 400


def _create(client, org, tasks, path):
    body = {"organization": str(org.organization.pk), "title": "Fresh", "assignee": str(org.admin.pk)}
    assert client.post(TASKS, body).status_code == 201


def _edit(client, org, tasks, path):
    assert client.patch(f"{TASKS}/{tasks[0].pk}", {"title": "Renamed"}).status_code == 200


def _to_trash(client, org, tasks, path):
    assert client.delete(f"{TASKS}/{tasks[1].pk}").status_code == 204


def _restored(client, org, tasks, path):
    task_delete(task=tasks[1], actor=org.admin)
    trashed = kept(client, path)  # the page without it, kept
    task_restore(organization_id=org.organization.pk, task_id=tasks[1].pk, actor=org.admin)
    return trashed


def _bulk(client, org, tasks, path):
    body = {"organization": str(org.organization.pk), "ids": [str(tasks[2].pk)], "change": {"status": "done"}}
    assert client.post(f"{TASKS}/bulk", body).status_code == 200


def _queryset_update(client, org, tasks, path):
    Task.objects.filter(pk=tasks[0].pk).update(status=Status.DONE)  # no signal is sent


def _sql(client, org, tasks, path):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tasks_app_task SET title = %s WHERE title = %s", ["By hand", tasks[2].title])


def _mentioned(client, org, tasks, path):
    task_update(task=tasks[0], actor=org.admin, mentions=[org.member])


def _mention_deleted(client, org, tasks, path):
    TaskMention.objects.filter(task=tasks[1]).delete()


def _assignee_renamed(client, org, tasks, path):
    User.objects.filter(pk=org.admin.pk).update(full_name="Someone Else")


def _assignee_renamed_by_hand(client, org, tasks, path):
    with connection.cursor() as cursor:
        # A UUID's 32 digits, as both databases read them.
        cursor.execute("UPDATE accounts_user SET username = %s WHERE id = %s", ["renamed", org.admin.pk.hex])


def _left(client, org, tasks, path):
    membership_remove(membership=Membership.objects.get(user=org.admin, organization=org.organization), actor=org.admin)


CHANGES = [
    _create,
    _edit,
    _to_trash,
    _restored,
    _bulk,
    _queryset_update,
    _sql,
    _mentioned,
    _mention_deleted,
    _assignee_renamed,
    _assignee_renamed_by_hand,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
@pytest.mark.parametrize("path", [TASKS, f"{TASKS}/assigned"])
def test_whatever_changes_what_a_page_shows_the_next_request_sees_it(client_as, org, tasks, change, path, settings):
    client = client_as("admin")
    before = kept(client, path)
    last_kept = change(client, org, tasks, path) or before  # a change may keep a page of its own first
    after = client.get(path)
    assert after.content != last_kept
    assert after.json() == computed(client, path, settings)


def test_a_person_who_leaves_an_organization_no_longer_gets_its_page(client_as, org, other_org, tasks):
    Membership.objects.create(user=org.admin, organization=other_org.organization, role=Role.MEMBER)
    client = client_as("admin")
    kept(client, TASKS)
    _left(client, org, tasks, TASKS)
    assert client.get(TASKS).json()["data"] == []


@pytest.mark.parametrize(
    "change",
    [
        # Its language decides how a search reads (its tasks are indexed again too, in the background).
        lambda org: organization_update(organization=org.organization, language="french", actor=org.owner),
        lambda org: Organization.objects.filter(pk=org.organization.pk).update(name="Renamed"),
    ],
    ids=["language", "renamed-by-update"],
)
def test_an_organization_changed_gives_new_pages(client_as, org, tasks, change, settings):
    client, path = client_as("admin"), f"{TASKS}?search=reports"
    kept(client, path)
    change(org)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert task_statements(captured)  # computed again
    assert response.json() == computed(client, path, settings)


def test_what_a_page_does_not_show_keeps_it(client_as, org, other_org, make_task, tasks):
    """A comment, a sign-in (the person's row written) or a task of an organization they are not in leaves the page
    kept."""
    client = client_as("admin")
    kept(client, TASKS)
    comment_create(task=tasks[0], author=org.member, body="Looks good")
    User.objects.filter(pk=org.admin.pk).update(last_login="2026-01-01T00:00:00Z")
    make_task(organization=other_org.organization, created_by=other_org.owner, title="Elsewhere")
    kept(client, TASKS)


def test_each_person_organization_and_token_gets_their_own_page(
    client_as, client_for, client_with_token, org, other_org, make_task, tasks
):
    """The admin and the member reach the same organization (the same versions): their pages are still their own."""
    theirs = make_task(organization=other_org.organization, created_by=other_org.owner, title="Theirs")
    Membership.objects.create(user=other_org.owner, organization=org.organization, role=Role.MEMBER)
    admin, member, both = client_as("admin"), client_as("member"), client_for(other_org.owner)
    narrow = client_with_token(other_org.owner, scopes=["tasks:read"], organizations=[other_org.organization])
    for _ in range(2):  # computed, then kept
        assert len(admin.get(f"{TASKS}/assigned").json()["data"]) == 3
        assert member.get(f"{TASKS}/assigned").json()["data"] == []
        assert len(member.get(TASKS).json()["data"]) == 3
        assert len(both.get(TASKS).json()["data"]) == 4
        assert [row["id"] for row in narrow.get(TASKS).json()["data"]] == [str(theirs.pk)]
    # Each kept beside the other: the same person through a session and through a token narrower than it.
    with CaptureQueriesContext(connection) as captured:
        assert len(both.get(TASKS).json()["data"]) == 4
        assert len(narrow.get(TASKS).json()["data"]) == 1
    assert not task_statements(captured)


def test_a_change_committed_while_a_page_is_computed_is_seen_by_the_next_request(client_as, org, tasks, monkeypatch):
    """The versions are read before the page: a change that lands in between makes a page newer than its
    versions, never older, and the next request, which reads the new versions, does not get the kept one."""
    read = page_cache.versions

    def then_changed(organization_ids):
        versions = read(organization_ids)
        Task.objects.filter(pk=tasks[0].pk).update(title="Changed meanwhile")
        return versions

    client = client_as("admin")
    monkeypatch.setattr(page_cache, "versions", then_changed)
    assert "Changed meanwhile" in {row["title"] for row in client.get(TASKS).json()["data"]}
    monkeypatch.setattr(page_cache, "versions", read)
    Task.objects.filter(pk=tasks[0].pk).update(title="Changed again")
    assert "Changed again" in {row["title"] for row in client.get(TASKS).json()["data"]}


def test_mentioned_is_always_computed(client_as, org, tasks):
    """``/tasks/mentioned`` shows what comments say, which no version follows: never kept."""
    client = client_as("member")
    path = f"{TASKS}/mentioned?in=comments"
    assert client.get(path).json()["data"] == []
    comment_create(task=tasks[0], author=org.admin, body=f"@{org.member.username} look")
    assert [row["id"] for row in client.get(path).json()["data"]] == [str(tasks[0].pk)]


def test_an_unreachable_cache_computes_the_page(client_as, tasks, monkeypatch, settings):
    client = client_as("admin")
    expected = computed(client, TASKS, settings)

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(page_cache.cache, "get", unreachable)
    monkeypatch.setattr(page_cache.cache, "set", unreachable)
    for _ in range(2):
        response = client.get(TASKS)
        assert response.status_code == 200
        assert response.json() == expected


def test_without_the_triggers_no_page_is_kept(client_as, tasks, monkeypatch):
    """A database made without migration 0008 has no versions to trust: every page is computed."""
    monkeypatch.setattr(page_cache, "_installed", {})
    monkeypatch.setattr(page_cache, "TRIGGERS", (*page_cache.TRIGGERS, "missing_trigger"))
    client = client_as("admin")
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(TASKS).status_code == 200
        assert task_statements(captured)


@pytest.mark.deployment
def test_a_database_migrated_from_nothing_has_every_trigger(run_django, tmp_path):
    """The test database gets the triggers from 0008's own function; a real one from the migrations, all of them:
    a later migration that rebuilds a table on SQLite (to alter it) drops its triggers, and must make them again."""
    database = tmp_path / "migrated.sqlite3"
    result = run_django(["manage.py", "migrate", "--noinput", "-v0"], DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as migrated:
        names = {name for (name,) in migrated.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert set(page_cache.TRIGGERS) <= names


def test_a_page_kept_under_other_settings_is_not_served(client_as, tasks, settings):
    """A process started with another page size or count bound (or another release) computes its own pages."""
    client = client_as("admin")
    kept(client, TASKS)
    for change in (
        lambda: setattr(settings, "API_EXACT_COUNT_LIMIT", 10),
        lambda: setattr(settings, "APP_VERSION", "2.0.0"),
        lambda: setattr(settings, "REST_FRAMEWORK", {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}),
    ):
        change()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(TASKS).status_code == 200
        assert task_statements(captured)  # computed again
        kept(client, TASKS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_of_one_organization_at_once_all_commit_and_the_next_page_shows_them(client_as, org, settings):
    """A transaction that writes tasks holds its organization's version row until it commits: writers of one
    organization at once wait for each other there, and none fails (each holds that one row: no deadlock)."""
    client = client_as("admin")
    kept(client, TASKS)
    failures = []

    def write(writer: int) -> None:
        try:
            for n in range(5):
                task_create(
                    organization=org.organization,
                    created_by=org.member,
                    title=f"Writer {writer}, task {n}",
                    description=f"for @{org.admin.username}",
                )
        except Exception as exc:  # any failure fails the test below, with what it was
            failures.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(writer,)) for writer in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert failures == []
    page = client.get(f"{TASKS}?page_size=50").json()
    assert page["pagination"]["total"] == 20
    assert client.get(TASKS).json() == computed(client, TASKS, settings)
