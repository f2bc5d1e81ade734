"""``/notifications``: the caller's in-app notifications."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications"


def make(user, count=1, **fields):
    actor = fields.pop("actor", None) or UserFactory()
    created = []
    for index in range(count):
        (notification,) = notification_create(
            recipients=[user], actor=actor, kind="mentioned", title=f"n{index}", **fields
        )
        Notification.objects.filter(pk=notification.pk).update(
            created_at=timezone.now() - timedelta(minutes=count - index)
        )
        created.append(notification)
    return created


def test_lists_the_callers_notifications_newest_first(auth_client):
    mine = make(auth_client.user, 3, url="/tasks/1", data={"k": 1})
    make(UserFactory(), 2)  # someone else's
    response = auth_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"]["total"] == 3
    assert [n["id"] for n in body["data"]] == [str(n.pk) for n in reversed(mine)]
    first = body["data"][0]
    assert set(first) == {
        "id",
        "kind",
        "title",
        "body",
        "url",
        "actor",
        "organization_id",
        "target_type",
        "target_id",
        "data",
        "created_at",
        "read_at",
        "is_read",
    }
    assert first["kind"] == "mentioned"
    assert first["data"] == {"k": 1}
    assert set(first["actor"]) == {"id", "username", "full_name"}
    assert first["is_read"] is False


def test_unread_filter(auth_client):
    first, second = make(auth_client.user, 2)
    auth_client.post(f"{LIST}/{first.pk}/read")
    unread = auth_client.get(LIST, {"unread": "true"}).json()
    assert [n["id"] for n in unread["data"]] == [str(second.pk)]
    read = auth_client.get(LIST, {"unread": "false"}).json()
    assert [n["id"] for n in read["data"]] == [str(first.pk)]


def test_fixed_number_of_queries_whatever_the_page_size(auth_client):
    make(auth_client.user, 30)
    auth_client.get(LIST)  # what is cached about the person (config.person_cache) read once, as by any request before
    counts = []
    for size in (1, 29):  # both with a next page, so both count
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(LIST, {"page_size": size})
        assert len(response.json()["data"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_mark_one_read_keeps_the_first_time(auth_client):
    (notification,) = make(auth_client.user)
    response = auth_client.post(f"{LIST}/{notification.pk}/read")
    assert response.status_code == 200
    read_at = response.json()["read_at"]
    assert read_at is not None
    assert response.json()["is_read"] is True
    again = auth_client.post(f"{LIST}/{notification.pk}/read")
    assert again.json()["read_at"] == read_at


def test_someone_elses_notification_is_a_404(auth_client):
    (theirs,) = make(UserFactory())
    response = auth_client.post(f"{LIST}/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_read_all_marks_only_the_callers_unread_ones(auth_client):
    mine = make(auth_client.user, 3)
    auth_client.post(f"{LIST}/{mine[0].pk}/read")
    (theirs,) = make(UserFactory())
    response = auth_client.post(f"{LIST}/read-all")
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    assert not Notification.objects.filter(recipient=auth_client.user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert auth_client.post(f"{LIST}/read-all").json() == {"count": 0}


def test_needs_sign_in(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.post(f"{LIST}/read-all").status_code == 401


def test_kind_filter(auth_client):
    make(auth_client.user, 2)
    (notification,) = notification_create(recipients=[auth_client.user], kind="assigned", title="assigned")
    body = auth_client.get(LIST, {"kind": "assigned"}).json()
    assert [n["id"] for n in body["data"]] == [str(notification.pk)]
    response = auth_client.get(LIST, {"kind": "nope"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kind"
