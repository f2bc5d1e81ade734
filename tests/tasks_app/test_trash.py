"""Deletes that can be undone (docs/api/trash.md): a deleted task or comment vanishes at once from every
list, search, report, notification and MCP tool, answers 404 by id, and comes back from the organization's
trash with its comments, mentions and activity; the retention policy ``trash`` purges it for good."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.retention import retention_run
from organizations.changes import Action
from tasks_app.models import Comment, Task, TaskActivity, TaskMention
from tests.factories import make_org_with_roles

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(org, client_for):
    """A task of the member's, assigned to the viewer, mentioning the admin, with a comment mentioning the viewer."""
    for user in org.users.values():
        user.username = f"t_{user.username}"[:30]
        user.save(update_fields=["username"])
    member = client_for(org.member)
    task = member.post(
        f"{API}/tasks",
        {
            "organization": str(org.id),
            "title": "Quarterly plan",
            "description": f"For @{org.admin.username}",
            "assignee": str(org.viewer.pk),
        },
        format="json",
    ).json()
    comment = member.post(
        f"{API}/tasks/{task['id']}/comments", {"body": f"Thoughts, @{org.viewer.username}?"}, format="json"
    ).json()
    return task, comment


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


def test_a_deleted_task_vanishes_everywhere_at_once_and_comes_back_whole(org, client_for, world, changes):
    task, comment = world
    member, viewer, admin = client_for(org.member), client_for(org.viewer), client_for(org.admin)
    assert task["id"] in ids(viewer.get(f"{API}/tasks/assigned"))
    assert len(ids(viewer.get(f"{API}/notifications"))) == 2  # assigned, mentioned in the comment
    activity_before = ids(member.get(f"{API}/tasks/{task['id']}/activity"))

    assert member.delete(f"{API}/tasks/{task['id']}").status_code == 204

    for client, path in [
        (member, f"{API}/tasks"),
        (member, f"{API}/tasks?search=Quarterly"),
        (viewer, f"{API}/tasks/assigned"),
        (admin, f"{API}/tasks/mentioned"),
        (admin, f"{API}/tasks?mentioned={org.admin.pk}"),
    ]:
        assert ids(client.get(path)) == [], path
    for suffix in ("", "/comments", "/activity"):
        assert member.get(f"{API}/tasks/{task['id']}{suffix}").status_code == 404
    assert member.patch(f"{API}/tasks/{task['id']}", {"title": "x"}, format="json").status_code == 404
    assert ids(viewer.get(f"{API}/notifications")) == []
    report = member.get(f"{API}/reports/{org.id}").json()
    assert report["totals"]["all"] == 0
    assert Task.all_objects.get(pk=task["id"]).deleted_by == org.member
    assert only(changes, Action.TASK_DELETED).target_id == task["id"]

    restored = member.post(f"{API}/organizations/{org.id}/trash/tasks/{task['id']}/restore")
    assert restored.status_code == 200, restored.content
    assert restored.json()["id"] == task["id"]
    assert [m["id"] for m in restored.json()["mentions"]] == [str(org.admin.pk)]
    assert ids(member.get(f"{API}/tasks/{task['id']}/comments")) == [comment["id"]]
    activity = member.get(f"{API}/tasks/{task['id']}/activity").json()["data"]
    assert [a["id"] for a in activity[: len(activity_before)]] == activity_before
    assert [a["verb"] for a in activity[-2:]] == ["deleted", "restored"]
    assert task["id"] in ids(viewer.get(f"{API}/tasks/assigned"))
    assert task["id"] in ids(admin.get(f"{API}/tasks/mentioned"))
    assert len(ids(viewer.get(f"{API}/notifications"))) == 2
    assert member.get(f"{API}/reports/{org.id}").json()["totals"]["all"] == 1
    restore = only(changes, Action.TASK_RESTORED)
    assert (restore.actor, restore.target_id) == (org.member, task["id"])


def only(changes, action):
    found = [change for change in changes if change.action == action]
    assert len(found) == 1, [change.action for change in changes]
    return found[0]


class TestTrashList:
    def test_admins_see_everything_members_their_own(self, org, client_for, world):
        task, _ = world
        own = (
            client_for(org.admin)
            .post(f"{API}/tasks", {"organization": str(org.id), "title": "Admin's"}, format="json")
            .json()
        )
        client_for(org.admin).delete(f"{API}/tasks/{own['id']}")
        client_for(org.member).delete(f"{API}/tasks/{task['id']}")
        trash = f"{API}/organizations/{org.id}/trash"
        assert ids(client_for(org.admin).get(trash)) == [task["id"], own["id"]]  # last deleted first
        assert ids(client_for(org.member).get(trash)) == [task["id"]]
        assert ids(client_for(org.viewer).get(trash)) == []
        item = client_for(org.member).get(trash).json()["data"][0]
        assert item["type"] == "task"
        assert item["title"] == "Quarterly plan"
        assert item["deleted_by"]["id"] == str(org.member.pk)
        assert item["task"] is None
        assert client_for(org.member).get(f"{trash}?type=bogus").status_code == 400

    def test_outsiders_get_404(self, org, client_for):
        stranger = make_org_with_roles(name="Elsewhere").owner
        assert client_for(stranger).get(f"{API}/organizations/{org.id}/trash").status_code == 404

    def test_a_token_needs_tasks_read(self, org, client_with_token):
        trash = f"{API}/organizations/{org.id}/trash"
        reader = client_with_token(org.admin, scopes=["tasks:read"], organizations=[org.organization])
        assert reader.get(trash).status_code == 200
        other = client_with_token(org.admin, scopes=["members:read"], organizations=[org.organization])
        assert other.get(trash).json()["errors"][0]["code"] == "insufficient_scope"


class TestTaskRestore:
    def restore(self, client, org, task_id):
        return client.post(f"{API}/organizations/{org.id}/trash/tasks/{task_id}/restore")

    def test_who_may_restore(self, org, client_for, world):
        task, _ = world
        client_for(org.member).delete(f"{API}/tasks/{task['id']}")
        stranger = make_org_with_roles(name="Elsewhere").owner
        assert self.restore(client_for(stranger), org, task["id"]).status_code == 404
        assert self.restore(client_for(org.viewer), org, task["id"]).status_code == 403
        other_member = client_for(make_member(org))
        assert self.restore(other_member, org, task["id"]).status_code == 403
        assert self.restore(client_for(org.admin), org, task["id"]).status_code == 200
        # Not (any longer) in the trash: 404, as for an unknown id.
        assert self.restore(client_for(org.admin), org, task["id"]).status_code == 404

    def test_a_task_of_another_organization_is_404(self, org, client_for, world):
        task, _ = world
        client_for(org.member).delete(f"{API}/tasks/{task['id']}")
        other = make_org_with_roles(name="Elsewhere")
        assert self.restore(client_for(other.owner), other, task["id"]).status_code == 404

    def test_tokens_need_tasks_write(self, org, client_with_token, client_for, world):
        task, _ = world
        client_for(org.member).delete(f"{API}/tasks/{task['id']}")
        reader = client_with_token(org.member, scopes=["tasks:read"], organizations=[org.organization])
        assert self.restore(reader, org, task["id"]).status_code == 403
        writer = client_with_token(org.member, scopes=["tasks:write"], organizations=[org.organization])
        assert self.restore(writer, org, task["id"]).status_code == 200


def make_member(org):
    from organizations.models import Role
    from tests.factories import MembershipFactory

    return MembershipFactory(organization=org.organization, role=Role.MEMBER).user


class TestComments:
    def test_the_author_deletes_and_restores_a_comment(self, org, client_for, world, changes):
        task, comment = world
        member, viewer = client_for(org.member), client_for(org.viewer)
        path = f"{API}/tasks/{task['id']}/comments/{comment['id']}"
        assert len(ids(viewer.get(f"{API}/notifications"))) == 2
        assert member.delete(path).status_code == 204
        assert ids(member.get(f"{API}/tasks/{task['id']}/comments")) == []
        assert len(ids(viewer.get(f"{API}/notifications"))) == 1  # the comment's mention went with it
        assert member.delete(path).status_code == 404
        assert only(changes, Action.COMMENT_DELETED).target_id == comment["id"]
        trash = member.get(f"{API}/organizations/{org.id}/trash?type=comments").json()["data"]
        assert [(i["type"], i["id"], i["task"]["id"]) for i in trash] == [("comment", comment["id"], task["id"])]
        restored = member.post(f"{API}/organizations/{org.id}/trash/comments/{comment['id']}/restore")
        assert restored.status_code == 200
        assert restored.json()["body"] == comment["body"]
        assert ids(member.get(f"{API}/tasks/{task['id']}/comments")) == [comment["id"]]
        assert len(ids(viewer.get(f"{API}/notifications"))) == 2
        assert only(changes, Action.COMMENT_RESTORED).target_id == comment["id"]

    def test_others_may_not_delete_a_comment_but_admins_may(self, org, client_for, world):
        task, comment = world
        path = f"{API}/tasks/{task['id']}/comments/{comment['id']}"
        assert client_for(org.viewer).delete(path).status_code == 403
        assert client_for(make_member(org)).delete(path).status_code == 403
        assert client_for(make_org_with_roles(name="X").owner).delete(path).status_code == 404
        assert client_for(org.admin).delete(path).status_code == 204

    def test_a_comment_of_a_deleted_task_comes_back_with_the_task_only(self, org, client_for, world):
        task, comment = world
        member = client_for(org.member)
        member.delete(f"{API}/tasks/{task['id']}/comments/{comment['id']}")
        member.delete(f"{API}/tasks/{task['id']}")
        assert ids(member.get(f"{API}/organizations/{org.id}/trash?type=comments")) == []
        response = member.post(f"{API}/organizations/{org.id}/trash/comments/{comment['id']}/restore")
        assert response.status_code == 409
        assert response.json()["errors"][0]["code"] == "task_deleted"
        member.post(f"{API}/organizations/{org.id}/trash/tasks/{task['id']}/restore")
        # Deleted on its own before its task: it stays in the trash.
        assert ids(member.get(f"{API}/tasks/{task['id']}/comments")) == []
        restored = member.post(f"{API}/organizations/{org.id}/trash/comments/{comment['id']}/restore")
        assert restored.status_code == 200


class TestPurge:
    def test_the_trash_policy_deletes_for_good_after_its_age(self, org, client_for, world, settings):
        task, comment = world
        client_for(org.member).delete(f"{API}/tasks/{task['id']}")
        (result,) = retention_run(names=["trash"])
        assert result.removed == 0
        later = timezone.now() + timedelta(days=settings.TRASH_RETENTION_DAYS, seconds=1)
        (result,) = retention_run(names=["trash"], now=later, batch_size=1)
        assert result.removed == 1
        assert not Task.all_objects.filter(pk=task["id"]).exists()
        assert not Comment.all_objects.filter(pk=comment["id"]).exists()
        assert not TaskActivity.objects.filter(task_id=task["id"]).exists()
        assert not TaskMention.objects.filter(task_id=task["id"]).exists()
        response = client_for(org.member).post(f"{API}/organizations/{org.id}/trash/tasks/{task['id']}/restore")
        assert response.status_code == 404

    def test_a_deleted_comment_is_purged_alone(self, org, client_for, world, settings):
        task, comment = world
        client_for(org.member).delete(f"{API}/tasks/{task['id']}/comments/{comment['id']}")
        later = timezone.now() + timedelta(days=settings.TRASH_RETENTION_DAYS, seconds=1)
        (result,) = retention_run(names=["trash"], now=later)
        assert result.removed == 1
        assert Task.objects.filter(pk=task["id"]).exists()
        assert not Comment.all_objects.filter(pk=comment["id"]).exists()
