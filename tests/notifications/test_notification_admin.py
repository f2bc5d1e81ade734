"""Staff see notifications and deliveries read-only, and retry failed deliveries."""

import pytest
from django.core import mail

from notifications.models import DeliveryState, Notification, NotificationDelivery
from notifications.services import notification_create
from tests.factories import UserFactory, user_change_form

pytestmark = pytest.mark.django_db

DELIVERIES = "/admin/notifications/notificationdelivery/"


@pytest.fixture
def failed(django_capture_on_commit_callbacks):
    user = UserFactory(email="ana@example.com", webhook_url="https://hooks.example.com/x")
    with django_capture_on_commit_callbacks(execute=False):
        notification_create(recipients=[user], kind="assigned", title="Fix the roof")
    NotificationDelivery.objects.update(state=DeliveryState.FAILED, attempts=5, last_error="Gave up: HTTP 500")
    return NotificationDelivery.objects.get(channel="email")


def test_lists_filter_and_show_without_editing(staff, failed):
    page = staff.get(DELIVERIES, {"state__exact": "failed", "channel__exact": "email"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "ana@example.com" in content
    assert "Gave up: HTTP 500" in content
    assert staff.get(f"{DELIVERIES}add/").status_code == 403
    detail = staff.get(f"{DELIVERIES}{failed.pk}/change/")
    assert detail.status_code == 200
    assert 'name="state"' not in detail.content.decode()  # read-only
    notifications = staff.get("/admin/notifications/notification/", {"kind__exact": "assigned"})
    assert notifications.status_code == 200
    assert "Fix the roof" in notifications.content.decode()
    notification = Notification.objects.get()
    assert staff.get(f"/admin/notifications/notification/{notification.pk}/change/").status_code == 200


def test_retry_action_sends_failed_deliveries_again(staff, failed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(DELIVERIES, {"action": "retry_failed", "_selected_action": [failed.pk]}, follow=True)
    assert "Queued 1 failed deliveries again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (DeliveryState.DELIVERED, 1)
    assert len(mail.outbox) == 1


def test_setting_a_webhook_in_the_admin_is_checked_and_gets_a_secret(staff, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    user = UserFactory()
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = user_change_form(user)
    refused = staff.post(url, {**data, "webhook_url": "https://169.254.169.254/x"})
    assert refused.status_code == 200
    assert "not a public address" in refused.content.decode()
    response = staff.post(url, {**data, "webhook_url": "https://hooks.example.com/x"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.webhook_url == "https://hooks.example.com/x"
    assert user.webhook_secret.startswith("whsec_")


@pytest.mark.parametrize("query", ["hello", "ana@example.com", "0b6f2c3e-1f7e-4d69-9b1a-2a2b7d0b8c11"])
def test_search_never_fails(staff, failed, query):
    assert staff.get(DELIVERIES, {"q": query}).status_code == 200
    assert staff.get("/admin/notifications/notification/", {"q": query}).status_code == 200
