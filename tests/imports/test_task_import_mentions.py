"""CSV task imports read ``@username`` in descriptions as the API does (members only, each mentioned person
hears once per import, not once per task) and take an assignee by email or username."""

import pytest

from notifications.models import Notification
from tasks_app.models import Task, TaskMention
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = "title,description,assignee"


@pytest.fixture
def named(org):
    for role, user in org.users.items():
        user.username = f"{role}_one"
        user.save(update_fields=["username"])
    return org


def test_mentions_in_descriptions_become_mentions_and_one_summary_each(imported, named, client_as):
    job = imported(
        csv_bytes(
            HEADER,
            "A,Ask @viewer_one and @MEMBER_one (twice: @member_one),",
            "B,For @viewer_one; @ghost_user is nobody; mail@owner_one is an address,",
            "C,Nothing here,",
            "D,@admin_one writes this (the importer),",
        )
    )
    assert (job.state, job.created) == ("succeeded", 4)
    tasks = {task.title: task for task in Task.objects.all()}
    mentions = {
        title: sorted(TaskMention.objects.filter(task=task).values_list("user__username", flat=True))
        for title, task in tasks.items()
    }
    assert mentions == {"A": ["member_one", "viewer_one"], "B": ["viewer_one"], "C": [], "D": ["admin_one"]}
    assert all(link.in_description and not link.explicit for link in TaskMention.objects.all())
    # As the API shows them, and where /tasks/mentioned looks.
    mentioned = client_as("viewer").get("/api/v1/tasks/mentioned").json()["data"]
    assert sorted(task["title"] for task in mentioned) == ["A", "B"]
    # One summary per person for the whole import, none per task, none to the importer.
    assert not Notification.objects.filter(kind="mentioned").exists()
    summaries = {n.recipient.username: n for n in Notification.objects.filter(kind="import_summary")}
    assert set(summaries) == {"viewer_one", "member_one"}
    assert summaries["viewer_one"].title == "You were mentioned in 2 imported tasks"
    assert summaries["member_one"].title == "You were mentioned in 1 imported task"
    assert summaries["viewer_one"].url == "/tasks/mentioned"


def test_a_person_of_another_organization_is_not_mentioned(imported, named, other_org):
    other_org.owner.username = "stranger_x"
    other_org.owner.save(update_fields=["username"])
    imported(csv_bytes(HEADER, "A,Hello @stranger_x,"))
    assert not TaskMention.objects.exists()
    assert not Notification.objects.filter(recipient=other_org.owner).exists()


@pytest.mark.parametrize("assignee", ["member_one", "@Member_One", "MEMBER.EMAIL"])
def test_an_assignee_by_username_or_email(imported, named, assignee):
    org = named
    value = org.member.email.upper() if assignee == "MEMBER.EMAIL" else assignee
    job = imported(csv_bytes(HEADER, f"A,,{value}"))
    assert job.created == 1, list(job.row_errors.values("code", "value"))
    assert Task.objects.get().assignee == org.member


def test_an_unknown_assignee_is_a_row_error_naming_its_column(imported, named):
    job = imported(csv_bytes(HEADER, "A,,ghost_user", "B,,"))
    assert job.created == 1
    error = job.row_errors.get()
    assert (error.column, error.code, error.value) == ("assignee", "not_a_member", "ghost_user")


def test_validation_reads_members_once_whatever_the_rows(imported, named, django_assert_max_num_queries):
    from imports.csv_source import match_header
    from imports.kinds.tasks import TaskImport
    from tests.factories import ImportJobFactory

    job = ImportJobFactory(organization=named.organization)
    match = match_header(HEADER.split(","), columns=TaskImport.columns, required=TaskImport.required)
    with django_assert_max_num_queries(1):
        validate = TaskImport(job).validator(match)
    with django_assert_max_num_queries(0):
        rows = [validate([f"T{n}", f"@viewer_one @member_one #{n}", "member_one"]) for n in range(1000)]
    assert {row.mention_ids for row in rows} == {(named.viewer.pk, named.member.pk)}
