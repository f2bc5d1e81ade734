"""The events of a task notify the right people, never the one who acted."""

import pytest
from django.core import mail

from notifications.models import Notification
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db


def received(kind=None) -> list[tuple[str, str]]:
    """(kind, recipient username) of every notification written, in order."""
    rows = Notification.objects.order_by("created_at", "recipient__username")
    if kind:
        rows = rows.filter(kind=kind)
    return sorted((n.kind, n.recipient.username) for n in rows.select_related("recipient"))


def test_creating_notifies_the_assignee_and_the_mentioned(client_as, org):
    client_as("member").post(
        TASKS,
        {
            "organization": str(org.id),
            "title": "Plan",
            "assignee": str(org.admin.pk),
            "description": f"@{org.viewer.username} and @{org.member.username} (myself)",
            "mentions": [str(org.owner.pk)],
        },
    )
    assert received() == sorted(
        [("assigned", org.admin.username), ("mentioned", org.viewer.username), ("mentioned", org.owner.username)]
    )
    note = Notification.objects.get(kind="assigned")
    assert note.actor == org.member
    assert note.organization_id == org.id
    assert note.target_type == "task"


def test_assigning_oneself_notifies_nobody(client_as, org):
    client_as("member").post(TASKS, {"organization": str(org.id), "title": "Mine", "assignee": str(org.member.pk)})
    assert received() == []


def test_editing_the_description_notifies_only_the_newly_mentioned(client_as, org, make_task):
    task = make_task(description=f"@{org.viewer.username}")
    Notification.objects.all().delete()
    client_as("member").patch(
        f"{TASKS}/{task.pk}", {"description": f"@{org.viewer.username} and now @{org.admin.username}"}
    )
    assert received() == [("mentioned", org.admin.username)]


def test_reassigning_notifies_the_new_assignee(client_as, org, make_task):
    task = make_task(assignee=org.viewer)
    Notification.objects.all().delete()
    client_as("owner").patch(f"{TASKS}/{task.pk}", {"assignee": str(org.admin.pk)})
    assert received() == [("assigned", org.admin.username)]


def test_status_change_notifies_creator_and_assignee_but_not_the_actor(client_as, org, make_task):
    task = make_task(created_by=org.member, assignee=org.viewer)
    Notification.objects.all().delete()
    client_as("admin").patch(f"{TASKS}/{task.pk}", {"status": "done"})
    assert received() == [("status_changed", org.member.username), ("status_changed", org.viewer.username)]
    Notification.objects.all().delete()
    client_as("member").patch(f"{TASKS}/{task.pk}", {"status": "todo"})
    assert received() == [("status_changed", org.viewer.username)]


def test_comment_notifies_followers_and_the_mentioned_once_each(client_as, org, make_task):
    task = make_task(created_by=org.member, assignee=org.viewer)
    Notification.objects.all().delete()
    client_as("admin").post(
        f"{TASKS}/{task.pk}/comments", {"body": f"@{org.viewer.username} @{org.owner.username} see this"}
    )
    assert received() == sorted(
        [
            ("mentioned", org.viewer.username),
            ("mentioned", org.owner.username),
            ("commented", org.member.username),
        ]
    )


def test_a_rejected_change_notifies_nobody(client_as, org, outsider, make_task):
    task = make_task()
    Notification.objects.all().delete()
    response = client_as("member").patch(
        f"{TASKS}/{task.pk}", {"assignee": str(org.admin.pk), "mentions": [str(outsider.pk)]}
    )
    assert response.status_code == 400
    assert received() == []


def test_mention_is_emailed_after_commit(client_as, org, make_task, django_capture_on_commit_callbacks):
    task = make_task()
    with django_capture_on_commit_callbacks(execute=True):
        client_as("member").post(f"{TASKS}/{task.pk}/comments", {"body": f"@{org.admin.username} look"})
    assert [m.to for m in mail.outbox] == [[org.admin.email]]
    assert task.title in mail.outbox[0].subject + mail.outbox[0].body
