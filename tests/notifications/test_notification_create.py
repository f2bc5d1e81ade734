"""``notification_create``: the outbox other apps write notifications through."""

import uuid

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import DeliveryChannel, DeliveryState, Notification, NotificationDelivery, NotificationKind
from notifications.services import notification_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_notification_per_recipient_never_the_actor(django_capture_on_commit_callbacks):
    actor, ana, bo = UserFactory(), UserFactory(), UserFactory(notify_email=False)
    target = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        notifications = notification_create(
            recipients=[ana, bo, ana, actor, str(bo.pk)],
            kind="assigned",
            actor=actor,
            title="Ana was assigned a task",
            body="Fix the roof",
            url="/tasks/x",
            target_type="task",
            target_id=target,
            data={"task_id": str(target)},
        )
    assert sorted(n.recipient_id for n in notifications) == sorted([ana.pk, bo.pk])
    rows = Notification.objects.filter(recipient=ana)
    assert rows.count() == 1
    row = rows.get()
    assert (row.kind, row.actor_id, row.target_type, row.target_id, row.data) == (
        "assigned",
        actor.pk,
        "task",
        target,
        {"task_id": str(target)},
    )
    assert not Notification.objects.filter(recipient=actor).exists()
    # Email only to who has it on; no webhook set, so no webhook delivery.
    assert list(NotificationDelivery.objects.values_list("notification__recipient", "channel", "state")) == [
        (ana.pk, DeliveryChannel.EMAIL, DeliveryState.DELIVERED)
    ]
    assert [m.to for m in mail.outbox] == [[ana.email]]


def test_a_channel_per_setting():
    ana = UserFactory(notify_email=True, webhook_url="https://hooks.example.com/a")
    bo = UserFactory(notify_email=False, webhook_url="https://hooks.example.com/b")
    cy = UserFactory(notify_email=False)
    notification_create(recipients=[ana, bo, cy], kind="mentioned", title="You were mentioned")
    channels = set(NotificationDelivery.objects.values_list("notification__recipient", "channel"))
    assert channels == {(ana.pk, "email"), (ana.pk, "webhook"), (bo.pk, "webhook")}
    assert Notification.objects.filter(recipient=cy).exists()  # in-app is always on


def test_inactive_and_unknown_recipients_are_skipped():
    gone = UserFactory(is_active=False)
    assert notification_create(recipients=[gone, uuid.uuid4(), "not-a-uuid"], kind="test", title="x") == []
    assert not Notification.objects.exists()


def test_only_the_actor_means_nobody():
    actor = UserFactory()
    assert notification_create(recipients=[actor], kind="commented", actor=actor, title="x") == []


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notification_create(recipients=[UserFactory()], kind="nope", title="x")


def test_long_titles_are_cut_not_refused():
    (notification,) = notification_create(recipients=[UserFactory()], kind="test", title="x" * 500)
    assert len(Notification.objects.get(pk=notification.pk).title) == 255


@pytest.mark.parametrize("count", [1, 25])
def test_fixed_number_of_queries_whatever_the_recipients(count, django_assert_num_queries):
    users = [UserFactory(webhook_url="https://hooks.example.com/x") for _ in range(count)]
    # savepoint, notifications, deliveries, release
    with django_assert_num_queries(4):
        notification_create(recipients=users, kind="test", title="hello")
    assert NotificationDelivery.objects.count() == 2 * count


def test_nothing_is_sent_before_commit_nor_for_a_rolled_back_change(django_capture_on_commit_callbacks):
    ana = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notification_create(recipients=[ana], kind="assigned", title="doomed")
                assert mail.outbox == []  # not before commit
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_enqueued_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    from notifications.tasks import deliver_notification

    enqueued = []
    monkeypatch.setattr(deliver_notification, "delay", enqueued.append)
    ana = UserFactory(webhook_url="https://hooks.example.com/x")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_create(recipients=[ana], kind="assigned", title="t")
    assert enqueued == []
    for callback in callbacks:
        callback()
    assert sorted(enqueued) == sorted(str(pk) for pk in NotificationDelivery.objects.values_list("pk", flat=True))


def test_a_broker_down_at_commit_does_not_fail_the_change(django_capture_on_commit_callbacks, monkeypatch, caplog):
    """The change committed: it must not answer 500. The row stays pending for the beat sweep."""
    from notifications.tasks import deliver_notification

    def broker_down(*args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(deliver_notification, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipients=[UserFactory()], kind="assigned", title="t")
    assert NotificationDelivery.objects.get().state == DeliveryState.PENDING
    assert "the sweep will retry it" in caplog.text


def test_notify_works_inside_the_callers_query_count_budget(django_capture_on_commit_callbacks):
    """Recipients given as ids cost one more query, whatever their number."""
    ids = [UserFactory().pk for _ in range(5)]
    with CaptureQueriesContext(connection) as few:
        notification_create(recipients=ids[:1], kind="test", title="t")
    with CaptureQueriesContext(connection) as many:
        notification_create(recipients=ids, kind="test", title="t")
    assert len(few) == len(many)


def test_service_is_importable_with_the_agreed_signature():
    import inspect

    parameters = inspect.signature(services.notification_create).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert set(parameters) == {
        "recipients",
        "kind",
        "actor",
        "title",
        "body",
        "url",
        "organization_id",
        "target_type",
        "target_id",
        "data",
        "personal",  # optional: what differs per recipient (a bulk change's summaries)
    }


def test_personal_parts_differ_per_recipient_in_the_same_queries(django_assert_num_queries):
    ana, bob = UserFactory(), UserFactory()
    with django_assert_num_queries(4):  # savepoint, the notifications, their email deliveries, release
        services.notification_create(
            recipients=[ana, bob],
            kind=NotificationKind.ASSIGNED,
            title="Something",
            data={"shared": True},
            personal={ana.pk: {"title": "2 tasks", "data": {"count": 2}}},
        )
    notes = {note.recipient_id: note for note in Notification.objects.all()}
    assert (notes[ana.pk].title, notes[ana.pk].data) == ("2 tasks", {"count": 2})
    assert (notes[bob.pk].title, notes[bob.pk].data) == ("Something", {"shared": True})


def test_data_may_hold_uuids_and_dates():
    import datetime

    target = uuid.uuid4()
    (notification,) = notification_create(
        recipients=[UserFactory()],
        kind="import_finished",
        title="t",
        data={"job": target, "on": datetime.date(2026, 1, 2)},
    )
    assert Notification.objects.get(pk=notification.pk).data == {"job": str(target), "on": "2026-01-02"}


def test_the_actor_given_as_an_id_is_skipped_too():
    actor = UserFactory()
    assert notification_create(recipients=[actor], kind="commented", actor=str(actor.pk), title="x") == []
