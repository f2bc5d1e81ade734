"""From an organization change to a receiver: the outbox, the envelope, signatures, filtering, retries,
automatic pausing, Discord, fairness between endpoints and retention. Deliveries go to a local receiver
(tests/fixtures/webhooks.py) through the real SSRF-safe transport."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from config.jobs import jobs_sweep
from org_webhooks import services
from org_webhooks.models import WebhookDelivery, WebhookEndpoint
from tasks_app.serializers import TaskSerializer
from tasks_app.services import comment_create, task_create, task_delete, task_update
from tests.factories import UserFactory, WebhookDeliveryFactory, WebhookEndpointFactory
from tests.notifications.webhook_server import Answer
from tests.org_webhooks.receiver import verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_local_webhooks")]

SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000]


@pytest.fixture
def endpoint(org, webhook_server):
    return WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/in"), events=["*"])


def make_task(org, capture, **fields):
    with capture(execute=True):
        return task_create(organization=org.organization, created_by=org.member, **{"title": "Ship it", **fields})


def test_a_change_reaches_the_receiver_signed_in_the_standard_webhooks_envelope(
    org, endpoint, webhook_server, django_capture_on_commit_callbacks
):
    task = make_task(org, django_capture_on_commit_callbacks, assignee=org.admin)
    (received,) = webhook_server.received
    assert verify(endpoint.secret, received.headers, received.body)
    assert not verify(endpoint.secret, received.headers, received.body + b" ")
    event = received.json()
    assert set(event) == {"type", "timestamp", "organization", "data"}
    assert event["type"] == "task.created"
    assert event["timestamp"].endswith("Z")
    assert event["organization"]["slug"] == org.organization.slug
    task.refresh_from_db()
    assert event["data"] == TaskSerializer(task).data | {"due_date": None}
    delivery = WebhookDelivery.objects.get()
    assert received.headers["webhook-id"] == str(delivery.event_id)
    assert delivery.state == "delivered"


def test_the_payload_is_built_at_change_time_and_a_deleted_task_sends_its_last_shape(
    org, endpoint, webhook_server, django_capture_on_commit_callbacks
):
    task = make_task(org, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        task_update(task=task, actor=org.member, title="Renamed")
    task.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        task_delete(task=task, actor=org.admin)
    created, updated, deleted = (r.json() for r in webhook_server.received)
    assert created["data"]["title"] == "Ship it"  # stored when it happened, not re-read
    assert updated["type"] == "task.updated"
    assert updated["data"]["title"] == "Renamed"
    assert deleted["type"] == "task.deleted"
    assert deleted["data"]["id"] == str(task.pk)
    assert deleted["data"]["title"] == "Renamed"
    ids = [r.headers["webhook-id"] for r in webhook_server.received]
    assert len(set(ids)) == 3


def test_only_subscribed_events_of_active_endpoints_of_the_organization_are_sent(
    org, other_org, webhook_server, django_capture_on_commit_callbacks
):
    comments_only = WebhookEndpointFactory(
        organization=org.organization, url=webhook_server.url("/comments"), events=["comment.created"]
    )
    WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/paused"), active=False)
    WebhookEndpointFactory(organization=other_org.organization, url=webhook_server.url("/other"))
    task = make_task(org, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(task=task, author=org.member, body="Looks good")
    assert [r.path for r in webhook_server.received] == ["/comments"]
    event = webhook_server.received[0].json()
    assert event["type"] == "comment.created"
    assert event["data"]["body"] == "Looks good"
    assert event["data"]["task"] == {"id": str(task.pk), "title": "Ship it"}
    assert WebhookDelivery.objects.get().endpoint == comments_only


def test_member_events_carry_the_membership(org, endpoint, webhook_server, django_capture_on_commit_callbacks):
    from organizations.models import Role
    from organizations.services import membership_change_role

    with django_capture_on_commit_callbacks(execute=True):
        membership_change_role(
            membership=org.organization.memberships.get(user=org.member), actor=org.owner, role=Role.ADMIN
        )
    (received,) = webhook_server.received
    event = received.json()
    assert event["type"] == "member.role_changed"
    assert event["data"]["role"] == "admin"
    assert event["data"]["user"]["id"] == str(org.member.pk)


def test_a_rolled_back_change_sends_nothing(org, endpoint, webhook_server, django_capture_on_commit_callbacks):
    from django.db import transaction

    def change_then_fail():
        with transaction.atomic():
            task_create(organization=org.organization, created_by=org.member, title="Never")
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_then_fail()
    assert webhook_server.received == []
    assert not WebhookDelivery.objects.exists()


def test_failures_retry_on_the_schedule_then_fail(org, endpoint, webhook_server, django_capture_on_commit_callbacks):
    webhook_server.default = Answer(503, body=b"down for maintenance")
    make_task(org, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for attempt in range(1, len(SCHEDULE) + 1):
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if delivery.state == "failed":
            break
        assert delivery.state == "pending"
        assert delivery.response_status == 503
        assert delivery.response_body == "down for maintenance"
        waits.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert waits == SCHEDULE[1:]
    assert delivery.state == "failed"
    assert delivery.attempts == len(SCHEDULE)
    assert delivery.last_error.startswith(f"Gave up after {len(SCHEDULE)} attempts")
    # The same event every time: one webhook-id on every retry.
    assert len({r.headers["webhook-id"] for r in webhook_server.received}) == 1
    assert len(webhook_server.received) == len(SCHEDULE)


def test_the_sweep_sends_due_retries_and_a_success_clears_the_failure_streak(
    org, endpoint, webhook_server, django_capture_on_commit_callbacks, settings
):
    webhook_server.script.append(Answer(500))
    make_task(org, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    jobs_sweep()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered"
    assert delivery.attempts == 2
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.last_success_at is not None


def test_an_endpoint_failing_for_five_days_is_paused_and_its_admins_are_emailed(
    org, endpoint, webhook_server, django_capture_on_commit_callbacks
):
    webhook_server.default = Answer(500)
    waiting = WebhookDeliveryFactory(
        endpoint=endpoint, event_type="task.updated", next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=4, hours=23))
    make_task(org, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.active is True
    assert mail.outbox == []

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=5, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_attempt(delivery_id=WebhookDelivery.objects.get(event_type="task.created").pk)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert endpoint.paused_at
    assert "5 days" in endpoint.paused_reason
    waiting.refresh_from_db()
    assert waiting.state == "failed"  # nothing waits on a paused endpoint
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.admin.email, org.owner.email])
    assert endpoint.url in mail.outbox[0].body
    assert org.organization.name in mail.outbox[0].subject
    # Paused: new changes are not queued for it.
    make_task(org, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


def test_discord_channels_get_embeds_that_ping_the_assignee_and_the_mentioned(
    org, webhook_server, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(
        organization=org.organization, url=webhook_server.url("/api/webhooks/1/x"), kind="discord", events=["*"]
    )
    assignee, mentioned = org.admin, org.viewer
    for user, snowflake in (
        (assignee, "123456789012345678"),
        (mentioned, "223456789012345678"),
        (org.member, "3" * 18),
    ):
        user.discord_user_id = snowflake
        user.save(update_fields=["discord_user_id"])
    mentioned.username = "vic"
    mentioned.save(update_fields=["username"])
    task = make_task(org, django_capture_on_commit_callbacks, assignee=assignee, description="Hey @vic")
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(task=task, author=org.member, body="@vic have a look")
    created, commented = (r.json() for r in webhook_server.received)
    assert "webhook-signature" in webhook_server.received[0].headers
    embed = created["embeds"][0]
    assert embed["title"] == "Task created: Ship it"
    assert embed["description"] == "Hey @vic"
    assert embed["url"].endswith(f"/tasks/{task.pk}")
    assert {"name": "Assignee", "value": assignee.full_name or assignee.username, "inline": True} in embed["fields"]
    assert created["content"].startswith("<@123456789012345678> <@223456789012345678>")
    assert created["allowed_mentions"] == {"parse": [], "users": ["123456789012345678", "223456789012345678"]}
    # The author (the actor) is never pinged by their own comment.
    assert commented["allowed_mentions"] == {"parse": [], "users": ["223456789012345678"]}
    assert commented["embeds"][0]["title"] == "New comment: Ship it"


def test_discord_user_id_is_set_on_the_profile_and_must_be_a_snowflake(client_for):
    user = UserFactory()
    client = client_for(user)
    response = client.patch("/api/v1/users/me", {"discord_user_id": "80351110224678912"}, format="json")
    assert response.status_code == 200
    assert response.json()["discord_user_id"] == "80351110224678912"
    for bad in ("@bob", "12345", "1" * 21, "\uff18" * 17):
        assert client.patch("/api/v1/users/me", {"discord_user_id": bad}, format="json").status_code == 400
    assert client.patch("/api/v1/users/me", {"discord_user_id": ""}, format="json").json()["discord_user_id"] == ""


# --- Fairness ---------------------------------------------------------------------------------


def test_a_backlog_of_one_endpoint_does_not_starve_another_organizations_delivery(
    org, other_org, webhook_server, settings
):
    """The sweep's choice, with a sweep that may send only 10: endpoint A (a dead receiver's backlog of
    1,000 due deliveries, all older) and endpoint B of another organization with one. Ordered by due
    time alone, B's would wait for 1,000 of A's; the sweep takes at most ORG_WEBHOOK_MAX_IN_FLIGHT per
    endpoint in turn, so B's goes in this very sweep. (This proves the order in which work is handed to
    the queue; the per-endpoint cap on concurrent sends is the next test.)"""
    settings.ORG_WEBHOOK_MAX_IN_FLIGHT = 4
    busy = WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/busy"))
    quiet = WebhookEndpointFactory(organization=other_org.organization, url=webhook_server.url("/quiet"))
    long_ago = timezone.now() - timedelta(hours=2)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=busy, event_id=f"00000000-0000-0000-0000-{n:012d}", event_type="task.created",
                            body="{}", next_attempt_at=long_ago + timedelta(seconds=n))
            for n in range(1000)
        ]
    )  # fmt: skip
    lone = WebhookDeliveryFactory(endpoint=quiet, next_attempt_at=timezone.now() - timedelta(hours=1))
    chosen = services.deliveries_due(limit=10)
    assert lone.pk in chosen
    assert len(chosen) == 5  # 4 of the busy endpoint (its cap), then the quiet one's
    services.deliveries_send_due(limit=10)
    assert sorted(r.path for r in webhook_server.received) == ["/busy"] * 4 + ["/quiet"]


def test_an_endpoint_at_its_in_flight_cap_waits_without_spending_an_attempt_while_others_go(
    org, other_org, webhook_server, settings
):
    settings.ORG_WEBHOOK_MAX_IN_FLIGHT = 2
    slow = WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/slow"))
    fast = WebhookEndpointFactory(organization=other_org.organization, url=webhook_server.url("/fast"))
    now = timezone.now()
    for _ in range(2):  # two requests to the slow receiver are in flight (claimed, alive)
        WebhookDeliveryFactory(endpoint=slow, state="sending", claimed_at=now, heartbeat_at=now, attempts=1)
    waiting = WebhookDeliveryFactory(endpoint=slow)
    other = WebhookDeliveryFactory(endpoint=fast)
    outcome = services.delivery_attempt(delivery_id=waiting.pk)
    assert outcome.state == "pending"
    assert outcome.retry_in == settings.ORG_WEBHOOK_BUSY_RETRY_SECONDS
    waiting.refresh_from_db()
    assert waiting.attempts == 0
    assert waiting.next_attempt_at > now
    assert services.delivery_attempt(delivery_id=other.pk).state == "delivered"
    assert [r.path for r in webhook_server.received] == ["/fast"]


def test_deliveries_run_on_their_own_queue(settings):
    assert settings.CELERY_TASK_ROUTES["org_webhooks.tasks.deliver_webhook"] == {"queue": "webhooks"}


# --- Retention --------------------------------------------------------------------------------


def test_retention_deletes_finished_deliveries_after_the_window(endpoint, settings):
    old = timezone.now() - timedelta(days=settings.RETENTION_DELIVERIES_DAYS + 1)
    gone = WebhookDeliveryFactory(endpoint=endpoint, state="delivered")
    kept_pending = WebhookDeliveryFactory(endpoint=endpoint, state="pending")
    recent = WebhookDeliveryFactory(endpoint=endpoint, state="failed")
    WebhookDelivery.objects.filter(pk__in=[gone.pk, kept_pending.pk]).update(updated_at=old)
    assert services.deliveries_purge() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {kept_pending.pk, recent.pk}
    assert "webhook_deliveries" in [policy["name"] for policy in settings.RETENTION_POLICIES]
