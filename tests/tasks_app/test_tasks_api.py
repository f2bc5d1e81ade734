import datetime

import pytest

from tasks_app.models import Status, Task, TaskActivity
from tests.factories import UserFactory
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


def errors_by_field(response):
    return {e["field"]: e["code"] for e in response.json()["errors"]}


class TestCreate:
    def test_member_creates_a_task(self, client_as, org):
        client = client_as("member")
        response = client.post(
            TASKS,
            {
                "organization": str(org.id),
                "title": "Ship it",
                "description": "Before Friday",
                "status": "in_progress",
                "priority": "urgent",
                "assignee": str(org.admin.pk),
                "due_date": "2030-01-31",
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["title"] == "Ship it"
        assert body["status"] == "in_progress"
        assert body["priority"] == "urgent"
        assert body["assignee"]["id"] == str(org.admin.pk)
        assert body["created_by"]["id"] == str(org.member.pk)
        assert body["organization"] == str(org.id)
        assert body["due_date"] == "2030-01-31"
        assert body["completed_at"] is None
        assert TaskActivity.objects.filter(task_id=body["id"], verb="created").count() == 1

    def test_defaults(self, client_as, org):
        body = client_as("member").post(TASKS, {"organization": str(org.id), "title": "x"}).json()
        assert (body["status"], body["priority"], body["assignee"], body["mentions"]) == ("todo", "medium", None, [])

    def test_created_done_has_a_completion_time(self, client_as, org):
        body = client_as("member").post(TASKS, {"organization": str(org.id), "title": "x", "status": "done"}).json()
        assert body["completed_at"] is not None

    @pytest.mark.parametrize(
        ("payload", "field", "code"),
        [
            ({"title": ""}, "title", "blank"),
            ({"title": "x" * 201}, "title", "max_length"),
            ({"description": "x" * 10_001}, "description", "max_length"),
            ({"status": "later"}, "status", "invalid_choice"),
            ({"priority": "meh"}, "priority", "invalid_choice"),
            ({"due_date": "31/01/2030"}, "due_date", "invalid"),
            ({"assignee": "not-a-uuid"}, "assignee", "invalid"),
            ({"assignee": "00000000-0000-0000-0000-000000000000"}, "assignee", "does_not_exist"),
            ({"mentions": "abc"}, "mentions", "not_a_list"),
        ],
    )
    def test_validation(self, client_as, org, payload, field, code):
        response = client_as("member").post(TASKS, {"organization": str(org.id), "title": "ok", **payload})
        assert response.status_code == 400, response.content
        assert errors_by_field(response).get(field) == code, response.json()

    def test_missing_organization_and_title(self, client_as):
        response = client_as("member").post(TASKS, {})
        assert errors_by_field(response) == {"organization": "required", "title": "required"}

    def test_assignee_and_mentions_must_be_members(self, client_as, org, outsider):
        response = client_as("member").post(
            TASKS,
            {"organization": str(org.id), "title": "x", "assignee": str(outsider.pk), "mentions": [str(outsider.pk)]},
        )
        assert response.status_code == 400
        assert errors_by_field(response) == {"assignee": "not_a_member", "mentions": "not_a_member"}
        assert not Task.objects.exists()

    def test_viewer_may_not_create(self, client_as, org):
        response = client_as("viewer").post(TASKS, {"organization": str(org.id), "title": "x"})
        assert response.status_code == 403

    def test_other_organization_is_not_found(self, client_as, other_org):
        response = client_as("member").post(TASKS, {"organization": str(other_org.id), "title": "x"})
        assert response.status_code == 404
        assert not Task.objects.exists()


class TestMentions:
    def test_at_username_mentions_members_only(self, client_as, org, outsider):
        admin = org.admin
        response = client_as("member").post(
            TASKS,
            {
                "organization": str(org.id),
                "title": "x",
                "description": (
                    f"Ping @{admin.username.upper()}, @{outsider.username}, @nobody and mail@{org.owner.username}.com"
                ),
            },
        )
        assert [m["id"] for m in response.json()["mentions"]] == [str(admin.pk)]

    def test_explicit_and_parsed_mentions_combine(self, client_as, org):
        response = client_as("member").post(
            TASKS,
            {
                "organization": str(org.id),
                "title": "x",
                "description": f"cc @{org.viewer.username}",
                "mentions": [str(org.owner.pk)],
            },
        )
        assert {m["id"] for m in response.json()["mentions"]} == {str(org.viewer.pk), str(org.owner.pk)}

    def test_editing_the_description_updates_mentions(self, client_as, org, make_task):
        task = make_task(description=f"@{org.viewer.username}", mentions=[org.owner])
        response = client_as("member").patch(f"{TASKS}/{task.pk}", {"description": f"now @{org.admin.username}"})
        assert {m["id"] for m in response.json()["mentions"]} == {str(org.owner.pk), str(org.admin.pk)}
        activity = TaskActivity.objects.get(task=task, field="mentions")
        assert org.admin.username in activity.new_value
        assert org.viewer.username not in activity.new_value


class TestReadUpdateDelete:
    def test_read(self, client_as, task):
        body = client_as("viewer").get(f"{TASKS}/{task.pk}").json()
        assert body["id"] == str(task.pk)
        assert body["priority"] == "high"

    def test_update_records_activity_per_field(self, client_as, org, task):
        client = client_as("member")
        response = client.patch(
            f"{TASKS}/{task.pk}",
            {
                "title": "Write the final report",
                "priority": "low",
                "assignee": str(org.admin.pk),
                "due_date": "2031-05-01",
            },
        )
        assert response.status_code == 200, response.content
        changes = {a.field: (a.old_value, a.new_value) for a in TaskActivity.objects.filter(task=task, verb="updated")}
        assert changes == {
            "title": ("Write the report", "Write the final report"),
            "priority": ("high", "low"),
            "assignee": ("", f"@{org.admin.username}"),
            "due_date": ("", "2031-05-01"),
        }

    def test_status_sets_and_clears_completed_at(self, client_as, task):
        client = client_as("member")
        done = client.patch(f"{TASKS}/{task.pk}", {"status": "done"}).json()
        assert done["completed_at"] is not None
        reopened = client.patch(f"{TASKS}/{task.pk}", {"status": "in_progress"}).json()
        assert reopened["completed_at"] is None

    def test_unchanged_values_record_nothing(self, client_as, task):
        client_as("member").patch(f"{TASKS}/{task.pk}", {"title": task.title})
        assert not TaskActivity.objects.filter(task=task, verb="updated").exists()

    def test_organization_and_creator_are_not_writable(self, client_as, org, other_org, task):
        client_as("admin").patch(
            f"{TASKS}/{task.pk}", {"organization": str(other_org.id), "created_by": str(org.admin.pk)}
        )
        task.refresh_from_db()
        assert task.organization_id == org.id
        assert task.created_by == org.member

    def test_unassign(self, client_as, org, make_task):
        task = make_task(assignee=org.admin)
        assert client_as("member").patch(f"{TASKS}/{task.pk}", {"assignee": None}).json()["assignee"] is None

    def test_put_is_not_offered(self, client_as, task):
        assert client_as("member").put(f"{TASKS}/{task.pk}", {"title": "x"}).status_code == 405

    @pytest.mark.parametrize(("caller", "expected"), [("member", 204), ("admin", 204), ("owner", 204)])
    def test_creator_or_admin_deletes(self, client_as, task, caller, expected):
        assert client_as(caller).delete(f"{TASKS}/{task.pk}").status_code == expected
        assert not Task.objects.filter(pk=task.pk).exists()

    def test_another_member_may_not_delete(self, client_for, org, task):
        from organizations.models import Role
        from tests.factories import MembershipFactory

        other_member = MembershipFactory(organization=org.organization, role=Role.MEMBER).user
        assert client_for(other_member).delete(f"{TASKS}/{task.pk}").status_code == 403
        assert Task.objects.filter(pk=task.pk).exists()


class TestComments:
    def test_comment_and_list(self, client_as, org, task):
        client = client_as("member")
        response = client.post(f"{TASKS}/{task.pk}/comments", {"body": f"Done soon, @{org.owner.username}"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["author"]["id"] == str(org.member.pk)
        assert [m["id"] for m in body["mentions"]] == [str(org.owner.pk)]
        listing = client_as("viewer").get(f"{TASKS}/{task.pk}/comments").json()
        assert [c["id"] for c in listing["data"]] == [body["id"]]
        assert listing["pagination"]["total"] == 1
        assert TaskActivity.objects.filter(task=task, verb="commented").exists()

    @pytest.mark.parametrize(("body", "code"), [("", "blank"), ("x" * 5001, "max_length")])
    def test_comment_validation(self, client_as, task, body, code):
        response = client_as("member").post(f"{TASKS}/{task.pk}/comments", {"body": body})
        assert response.status_code == 400
        assert errors_by_field(response) == {"body": code}

    def test_viewer_may_not_comment(self, client_as, task):
        assert client_as("viewer").post(f"{TASKS}/{task.pk}/comments", {"body": "hi"}).status_code == 403


def test_activity_lists_who_changed_what(client_as, org, task):
    client_as("admin").patch(f"{TASKS}/{task.pk}", {"status": "done"})
    rows = client_as("viewer").get(f"{TASKS}/{task.pk}/activity").json()["data"]
    assert [(r["verb"], r["field"]) for r in rows] == [("created", ""), ("updated", "status")]
    assert rows[1]["actor"]["id"] == str(org.admin.pk)
    assert (rows[1]["old_value"], rows[1]["new_value"]) == ("todo", "done")


def test_assigned_and_mentioned_lists(client_as, org, make_task):
    assigned = make_task(assignee=org.viewer)
    mentioning = make_task(description=f"hey @{org.viewer.username}")
    make_task()
    client = client_as("viewer")
    assert [t["id"] for t in client.get(f"{TASKS}/assigned").json()["data"]] == [str(assigned.pk)]
    assert [t["id"] for t in client.get(f"{TASKS}/mentioned").json()["data"]] == [str(mentioning.pk)]


def test_due_date_round_trips(client_as, org):
    body = client_as("member").post(TASKS, {"organization": str(org.id), "title": "x", "due_date": "2030-02-28"}).json()
    assert Task.objects.get(pk=body["id"]).due_date == datetime.date(2030, 2, 28)
    assert Task.objects.get(pk=body["id"]).status == Status.TODO


def test_user_who_left_still_shows_as_creator(client_as, org, task):
    UserFactory()  # unrelated
    assert client_as("viewer").get(f"{TASKS}/{task.pk}").json()["created_by"]["username"] == org.member.username


def test_fast_task_representation_matches_the_declared_serializer(org, make_task):
    """TaskSerializer renders by hand for speed; DRF's generic path must give the same dict."""
    from rest_framework import serializers

    from tasks_app.selectors import task_list
    from tasks_app.serializers import TaskSerializer

    task = make_task(assignee=org.admin, description=f"@{org.viewer.username}", due_date=datetime.date(2030, 1, 2))
    task = task_list().get(pk=task.pk)
    generic = serializers.ModelSerializer.to_representation(TaskSerializer(), task)
    assert TaskSerializer(task).data == generic


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_a_page_of_tasks_writes_its_times_as_the_declared_serializer_does(org, make_task, settings, zone):
    """A page reads its time zone once (``_page_timezone``: UTC as ``datetime.UTC``, the zone timestamps are read
    in); in UTC and in another zone, its times are the generic path's."""
    from django.utils import timezone
    from rest_framework import serializers

    from tasks_app.selectors import task_list
    from tasks_app.serializers import TaskSerializer

    settings.TIME_ZONE = zone
    task = make_task(due_date=datetime.date(2030, 1, 2))
    task.completed_at = timezone.now()
    task.save(update_fields=["completed_at"])
    task = task_list().get(pk=task.pk)
    generic = serializers.ModelSerializer.to_representation(TaskSerializer(), task)
    page = TaskSerializer([task, task], many=True).data
    assert page[0] == page[1] == generic
    assert generic["created_at"].endswith("Z" if zone == "UTC" else ("+01:00", "+02:00"))
