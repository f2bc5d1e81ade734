"""Editing and deleting a comment (``PATCH``/``DELETE /tasks/{id}/comments/{comment_id}``): who may, what the
activity and the organization's changes record, and which mentions are notified (only the new ones)."""

import pytest

from notifications.models import Notification, NotificationKind
from organizations.changes import Action
from organizations.models import Role
from tasks_app.models import Comment

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def comment(org, client_for, task):
    response = client_for(org.member).post(
        f"{API}/tasks/{task.pk}/comments", {"body": f"Thoughts, @{org.viewer.username}?"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def url(task, comment) -> str:
    return f"{API}/tasks/{task.pk}/comments/{comment['id']}"


def mentioned(user) -> int:
    return Notification.objects.filter(recipient=user, kind=NotificationKind.MENTIONED).count()


def test_the_author_edits_and_only_the_newly_mentioned_hear_of_it(org, client_for, task, comment, changes):
    assert comment["edited_at"] is None
    assert mentioned(org.viewer) == 1
    body = f"Thoughts, @{org.viewer.username} and @{org.admin.username}?"

    response = client_for(org.member).patch(url(task, comment), {"body": body}, format="json")

    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["body"] == body
    assert edited["edited_at"] is not None
    assert sorted(user["id"] for user in edited["mentions"]) == sorted([str(org.viewer.pk), str(org.admin.pk)])
    assert mentioned(org.viewer) == 1  # already mentioned: not told again
    assert mentioned(org.admin) == 1
    activity = client_for(org.member).get(f"{API}/tasks/{task.pk}/activity").json()["data"][-1]
    assert (activity["verb"], activity["field"]) == ("comment_edited", "comment")
    assert activity["old_value"].startswith("Thoughts, @")
    assert activity["new_value"] == body
    (change,) = [c for c in changes if c.action == Action.COMMENT_UPDATED]
    assert change.before == {"body": f"Thoughts, @{org.viewer.username}?"}
    assert change.after == {"body": body}
    listed = client_for(org.viewer).get(f"{API}/tasks/{task.pk}/comments").json()["data"]
    assert listed[0]["edited_at"] == edited["edited_at"]


def test_an_edit_that_drops_a_mention_unmentions_and_one_that_changes_nothing_records_nothing(
    org, client_for, task, comment
):
    member = client_for(org.member)
    response = member.patch(url(task, comment), {"body": "No one"}, format="json")
    assert response.json()["mentions"] == []
    activity_count = len(member.get(f"{API}/tasks/{task.pk}/activity").json()["data"])
    again = member.patch(url(task, comment), {"body": "No one"}, format="json")
    assert again.status_code == 200
    assert again.json()["edited_at"] == response.json()["edited_at"]
    assert len(member.get(f"{API}/tasks/{task.pk}/activity").json()["data"]) == activity_count


@pytest.mark.parametrize("caller", ["admin", "owner", "viewer", "outsider"])
def test_only_the_author_edits(org, client_as, task, comment, caller):
    response = client_as(caller).patch(url(task, comment), {"body": "Hijacked"}, format="json")
    assert response.status_code == (404 if caller == "outsider" else 403)
    assert Comment.objects.get(pk=comment["id"]).body.startswith("Thoughts")


def test_an_author_demoted_to_viewer_no_longer_edits(org, client_for, task, comment):
    membership = org.organization.memberships.get(user=org.member)
    membership.role = Role.VIEWER
    membership.save(update_fields=["role"])
    response = client_for(org.member).patch(url(task, comment), {"body": "Late"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("body", [0, None, "", ["a"], {"a": 1}, "x" * 5001])
def test_a_bad_body_is_refused(org, client_for, task, comment, body):
    response = client_for(org.member).patch(url(task, comment), {"body": body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(("caller", "status"), [("member", 204), ("admin", 204), ("owner", 204), ("viewer", 403)])
def test_the_author_or_an_admin_deletes_and_the_activity_says_so(
    org, client_as, client_for, task, comment, caller, status
):
    response = client_as(caller).delete(url(task, comment))
    assert response.status_code == status
    if status == 204:
        assert not Comment.objects.filter(pk=comment["id"]).exists()
        assert Comment.all_objects.get(pk=comment["id"]).deleted_at is not None  # in the trash, restorable
        activity = client_for(org.member).get(f"{API}/tasks/{task.pk}/activity").json()["data"][-1]
        assert (activity["verb"], activity["old_value"]) == ("comment_deleted", comment["body"])


def test_another_members_comment_is_not_theirs_to_delete(org, client_for, task, comment):
    from tests.factories import MembershipFactory

    other = MembershipFactory(organization=org.organization, role=Role.MEMBER).user
    assert client_for(other).delete(url(task, comment)).status_code == 403


def test_another_organizations_comment_is_404(org, other_org, client_for, make_task):
    theirs = make_task(organization=other_org.organization, created_by=other_org.owner)
    comment = client_for(other_org.owner).post(f"{API}/tasks/{theirs.pk}/comments", {"body": "Ours"}, format="json")
    comment = comment.json()
    for client in (client_for(org.owner), client_for(org.member)):
        assert client.patch(url(theirs, comment), {"body": "x"}, format="json").status_code == 404
        assert client.delete(url(theirs, comment)).status_code == 404


@pytest.mark.parametrize(
    ("scopes", "status"), [(["comments:write"], 200), (["tasks:write", "tasks:read"], 403), (["tasks:read"], 403)]
)
def test_a_token_needs_comments_write(org, client_with_token, task, comment, scopes, status):
    client = client_with_token(org.member, scopes=scopes, organizations=[org.organization])
    response = client.patch(url(task, comment), {"body": "By token"}, format="json")
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["errors"][0]["code"] == "insufficient_scope"
        assert client.delete(url(task, comment)).status_code == 403
