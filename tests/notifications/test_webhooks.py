"""Webhook deliveries: signed JSON events to a local receiver, Discord's format, retries, settings."""

import json

import pytest
from django.utils import timezone

from accounts.models import User
from notifications import webhooks
from notifications.models import DeliveryChannel, DeliveryState, NotificationDelivery, NotificationKind
from notifications.services import notification_create
from tests.factories import UserFactory
from tests.notifications.webhook_server import Answer, verify_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_local_webhooks")]

ME = "/api/v1/users/me"


@pytest.fixture
def subscriber(client_for, webhook_server):
    """A user who set the local receiver as their webhook on /users/me, and the secret shown there."""
    user = UserFactory(notify_email=False)
    client = client_for(user)
    response = client.patch(ME, {"webhook_url": webhook_server.url("/hooks/ws?team=1")})
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    user.secret_shown = response.json()["webhook_secret"]
    return user


def send(django_capture_on_commit_callbacks, user, **fields):
    fields = {"kind": "assigned", "title": "You were assigned", **fields}
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_create(recipients=[user], **fields)
    return notification


def test_the_receiver_gets_a_signed_event_it_can_verify(subscriber, webhook_server, django_capture_on_commit_callbacks):
    actor = UserFactory(username="bo", full_name="Bo Diaz")
    notification = send(
        django_capture_on_commit_callbacks,
        subscriber,
        actor=actor,
        body="Fix the roof",
        url="/tasks/7",
        target_type="task",
        target_id="7c1e4a9e-44b1-4c1b-9d4b-1e0c2b6f4a11",
        data={"priority": "high"},
    )
    (request,) = webhook_server.received
    delivery = NotificationDelivery.objects.get(channel=DeliveryChannel.WEBHOOK)
    assert delivery.state == DeliveryState.DELIVERED
    assert request.path == "/hooks/ws?team=1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Id"] == str(delivery.pk)
    assert request.headers["X-Webhook-Event"] == "assigned"
    assert request.headers["X-Webhook-Signature"].startswith("v1=")
    assert subscriber.secret_shown.startswith("whsec_")
    assert verify_signature(subscriber.secret_shown, request.headers, request.body)
    assert not verify_signature("whsec_wrong", request.headers, request.body)
    assert not verify_signature(subscriber.secret_shown, request.headers, request.body + b" ")
    event = request.json()
    assert event["id"] == str(delivery.pk)
    assert event["type"] == "assigned"
    assert event["notification"] == {
        "id": str(notification.pk),
        "kind": "assigned",
        "title": "You were assigned",
        "body": "Fix the roof",
        "url": "http://localhost:3000/tasks/7",
        "organization_id": None,
        "target_type": "task",
        "target_id": "7c1e4a9e-44b1-4c1b-9d4b-1e0c2b6f4a11",
        "actor": {"id": str(actor.pk), "username": "bo", "full_name": "Bo Diaz"},
        "data": {"priority": "high"},
        "created_at": event["created_at"],
    }


def test_a_stale_timestamp_fails_verification(subscriber, webhook_server, django_capture_on_commit_callbacks):
    send(django_capture_on_commit_callbacks, subscriber)
    (request,) = webhook_server.received
    sent_at = int(request.headers["X-Webhook-Timestamp"])
    assert not verify_signature(subscriber.secret_shown, request.headers, request.body, now=sent_at + 3600)


def test_the_delivery_id_is_stable_across_retries(subscriber, webhook_server, django_capture_on_commit_callbacks):
    webhook_server.script = [Answer(503, body=b"try later"), Answer(200)]
    send(django_capture_on_commit_callbacks, subscriber)
    first, second = webhook_server.received
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]
    assert first.json()["id"] == second.json()["id"]
    assert verify_signature(subscriber.secret_shown, second.headers, second.body)
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.DELIVERED, 2, "")


def test_gives_up_after_the_maximum_attempts(subscriber, webhook_server, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    webhook_server.default = Answer(500, body=b"boom")
    send(django_capture_on_commit_callbacks, subscriber)
    assert len(webhook_server.received) == 3
    delivery = NotificationDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error.startswith("Gave up after 3 attempts: HTTP 500 from 127.0.0.1: boom")


@pytest.mark.parametrize(("status", "reason"), [(410, "HTTP 410"), (302, "redirects are not followed")])
def test_permanent_refusals_are_not_retried(
    subscriber, webhook_server, django_capture_on_commit_callbacks, status, reason
):
    webhook_server.default = Answer(status, headers={"Location": "http://169.254.169.254/"})
    send(django_capture_on_commit_callbacks, subscriber)
    assert len(webhook_server.received) == 1
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert reason in delivery.last_error


def test_a_slow_receiver_times_out_and_is_retried(
    subscriber, webhook_server, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    webhook_server.stall_next()
    send(django_capture_on_commit_callbacks, subscriber)
    assert len(webhook_server.received) == 2
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)


def test_a_receiver_stalling_inside_its_headers_is_a_failed_attempt_retried_later(
    subscriber, webhook_server, settings, django_capture_on_commit_callbacks
):
    from notifications import services

    settings.WEBHOOK_READ_TIMEOUT = 30
    settings.WEBHOOK_TOTAL_TIMEOUT = 0.5
    webhook_server.stall_next_in_headers(200)
    with django_capture_on_commit_callbacks(execute=False):
        notification_create(recipients=[subscriber], kind=NotificationKind.ASSIGNED, title="You were assigned")
    delivery = NotificationDelivery.objects.get()

    outcome = services.notification_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert len(webhook_server.received) == 1
    assert outcome.state == DeliveryState.PENDING
    assert outcome.retry_in > 0
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.delivered_at is None
    assert delivery.next_attempt_at > timezone.now()
    assert "took longer than 0.5 s" in delivery.last_error

    # The retry reaches a receiver that answers in full.
    assert services.notification_delivery_attempt(delivery_id=delivery.pk).state == DeliveryState.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)
    assert len(webhook_server.received) == 2


def test_retry_after_is_honoured(subscriber, webhook_server, monkeypatch, django_capture_on_commit_callbacks):
    from notifications import services

    outcomes = []
    real = services.notification_delivery_attempt

    def recording(**kwargs):
        outcomes.append(real(**kwargs))
        return outcomes[-1]

    monkeypatch.setattr(services, "notification_delivery_attempt", recording)
    webhook_server.script = [Answer(429, headers={"Retry-After": "120"})]
    send(django_capture_on_commit_callbacks, subscriber)
    assert outcomes[0].retry_in >= 120
    assert outcomes[-1].state == DeliveryState.DELIVERED


def test_webhook_removed_before_delivery_is_not_sent(
    subscriber, webhook_server, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_create(recipients=[subscriber], kind="assigned", title="t")
    client_for(subscriber).patch(ME, {"webhook_url": ""})
    for callback in callbacks:
        callback()
    assert webhook_server.received == []
    delivery = NotificationDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert "removed their webhook" in delivery.last_error


class TestDiscord:
    URL = "https://discord.com/api/webhooks/1234/abcd"

    @pytest.fixture
    def posted(self, monkeypatch):
        calls = []

        def fake_post(*, url, body, headers):
            calls.append({"url": url, "body": json.loads(body), "headers": headers})
            return webhooks.WebhookResponse(status=204, address="162.159.128.233")

        monkeypatch.setattr(webhooks, "post", fake_post)
        return calls

    def test_gets_discords_message_format(self, posted, django_capture_on_commit_callbacks):
        user = UserFactory(notify_email=False, webhook_url=self.URL, webhook_secret="whsec_x")
        actor = UserFactory(full_name="Bo Diaz")
        send(
            django_capture_on_commit_callbacks,
            user,
            actor=actor,
            kind="mentioned",
            title="Bo mentioned you in Fix the roof",
            body="@everyone look " + "x" * 5000,
            url="/tasks/7",
        )
        (call,) = posted
        assert call["url"] == self.URL
        body = call["body"]
        assert body["content"] == "Bo mentioned you in Fix the roof"
        assert body["allowed_mentions"] == {"parse": []}  # user text never pings @everyone
        (embed,) = body["embeds"]
        assert embed["title"] == "Bo mentioned you in Fix the roof"
        assert len(embed["description"]) == 4096
        assert embed["url"] == "http://localhost:3000/tasks/7"
        assert embed["author"] == {"name": "Bo Diaz"}
        assert embed["footer"] == {"text": "Mentioned you"}
        assert "X-Webhook-Signature" not in call["headers"]
        assert call["headers"]["X-Webhook-Id"] == str(NotificationDelivery.objects.get().pk)
        assert NotificationDelivery.objects.get().state == DeliveryState.DELIVERED

    @pytest.mark.parametrize(
        ("url", "discord"),
        [
            ("https://discord.com/api/webhooks/1/x", True),
            ("https://discordapp.com/api/webhooks/1/x", True),
            ("https://DISCORD.com/api/webhooks/1/x", True),
            ("https://discord.com/channels/1", False),
            ("https://discord.com.evil.example/api/webhooks/1/x", False),
            ("https://hooks.example.com/api/webhooks/1/x", False),
        ],
    )
    def test_detection(self, url, discord):
        assert webhooks.is_discord(url) is discord


class TestSettingsOnMe:
    def test_setting_a_url_makes_a_secret_shown_to_its_owner(self, auth_client):
        assert auth_client.get(ME).json()["webhook_secret"] == ""
        body = auth_client.patch(ME, {"webhook_url": "https://hooks.example.com/a"}).json()
        secret = body["webhook_secret"]
        assert secret.startswith("whsec_")
        assert len(secret) == 6 + 64
        assert auth_client.get(ME).json()["webhook_secret"] == secret
        # Changing the URL keeps the secret; rotating replaces it; removing the URL drops it.
        body = auth_client.patch(ME, {"webhook_url": "https://hooks.example.com/b"}).json()
        assert body["webhook_secret"] == secret
        rotated = auth_client.patch(ME, {"rotate_webhook_secret": True}).json()["webhook_secret"]
        assert rotated.startswith("whsec_")
        assert rotated != secret
        assert auth_client.patch(ME, {"webhook_url": ""}).json()["webhook_secret"] == ""

    def test_the_secret_is_not_in_public_profiles(self, auth_client, client_for):
        auth_client.patch(ME, {"webhook_url": "https://hooks.example.com/a"})
        other = client_for(UserFactory(is_superuser=True))
        body = other.get(f"/api/v1/users/{auth_client.user.pk}").json()
        assert "webhook_secret" not in body
        assert "webhook_url" not in body

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://hooks.example.com/x",
            "https://user:pass@hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://[::1]/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data/",
        ],
    )
    def test_unacceptable_urls_are_refused(self, auth_client, settings, url):
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
        response = auth_client.patch(ME, {"webhook_url": url})
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert error["field"] == "webhook_url"
        assert error["code"] in ("webhook_url_not_allowed", "invalid")
        assert User.objects.get(pk=auth_client.user.pk).webhook_url == ""

    def test_https_only_when_required(self, auth_client, settings):
        settings.WEBHOOK_REQUIRE_HTTPS = True
        response = auth_client.patch(ME, {"webhook_url": "http://hooks.example.com/x"})
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": "webhook_url_not_allowed",
            "message": "A webhook URL must use https.",
            "field": "webhook_url",
        }
        assert auth_client.patch(ME, {"webhook_url": "https://hooks.example.com/x"}).status_code == 200

    def test_production_requires_https_by_default(self, run_django):
        from devtools.processes import rsa_private_key_pem

        result = run_django(
            [
                "-c",
                "import django; django.setup(); from django.conf import settings as s; print(s.WEBHOOK_REQUIRE_HTTPS)",
            ],
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY="x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
            DJANGO_ALLOWED_HOSTS="example.com",
            REDIS_URL="redis://127.0.0.1:6379/0",
            OAUTH_JWT_PRIVATE_KEY=rsa_private_key_pem(),
        )
        assert result.stdout.strip() == "True", result.stderr


def test_the_documented_verification_snippet_works(subscriber, webhook_server, django_capture_on_commit_callbacks):
    from devtools.processes import ROOT

    section = (ROOT / "docs" / "api" / "notifications.md").read_text().split("## Webhooks", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own docs
    verify = namespace["verify"]
    send(django_capture_on_commit_callbacks, subscriber)
    (request,) = webhook_server.received
    assert verify(subscriber.secret_shown, request.headers, request.body)
    assert not verify(subscriber.secret_shown, request.headers, request.body.replace(b"assigned", b"mentioned"))
