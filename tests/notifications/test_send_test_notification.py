"""``manage.py send_test_notification --email``: an operator checks a user's email and webhook."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import Notification
from tests.factories import UserFactory
from tests.notifications.webhook_server import Answer, verify_signature

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("allow_local_webhooks")]


def run(*args) -> str:
    out = StringIO()
    call_command("send_test_notification", *args, stdout=out)
    return out.getvalue()


def test_sends_on_every_channel_and_reports_the_outcome(webhook_server):
    user = UserFactory(email="ana@example.com", webhook_url=webhook_server.url(), webhook_secret="whsec_cmd")
    output = run("--email", "ANA@example.com")
    notification = Notification.objects.get(recipient=user, kind="test")
    assert f"In-app notification {notification.pk} created for ana@example.com." in output
    assert "Queued email delivery" in output
    assert "Queued webhook delivery" in output
    assert "email: delivered after 1 attempt(s)" in output
    assert "webhook: delivered after 1 attempt(s)" in output
    assert mail.outbox[0].to == ["ana@example.com"]
    (request,) = webhook_server.received
    assert request.json()["type"] == "test"
    assert verify_signature("whsec_cmd", request.headers, request.body)


def test_reports_a_failing_webhook(webhook_server, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    webhook_server.default = Answer(404, body=b"no such hook")
    UserFactory(email="bo@example.com", notify_email=False, webhook_url=webhook_server.url(), webhook_secret="s")
    out = StringIO()
    with pytest.raises(CommandError, match="Some deliveries failed"):
        call_command("send_test_notification", "--email", "bo@example.com", stdout=out)
    assert "webhook: failed after 1 attempt(s): HTTP 404 from 127.0.0.1: no such hook" in out.getvalue()


def test_in_app_only():
    UserFactory(email="cy@example.com", notify_email=False)
    assert "in-app only" in run("--email", "cy@example.com")


@pytest.mark.parametrize(
    ("fields", "message"), [(None, "No user with the email"), ({"is_active": False}, "is deactivated")]
)
def test_refuses_unknown_and_inactive_users(fields, message):
    if fields is not None:
        UserFactory(email="dee@example.com", **fields)
    with pytest.raises(CommandError, match=message):
        run("--email", "dee@example.com")
