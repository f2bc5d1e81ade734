"""End to end: task assignments and @mentions through the API reach each channel of each person."""

from types import SimpleNamespace

import pytest
from django.core import mail

from notifications.models import DeliveryState, Notification, NotificationDelivery
from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.notifications.webhook_server import verify_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_local_webhooks")]

TASKS = "/api/v1/tasks"
ME = "/api/v1/users/me"


@pytest.fixture
def team(client_for, webhook_server):
    """An organization where ana reads email, bo has a webhook (the local receiver), cy acts."""
    organization = OrganizationFactory()
    ana = UserFactory(username="ana", notify_email=True)
    bo = UserFactory(username="bo", notify_email=False)
    cy = UserFactory(username="cy")
    for user in (ana, bo, cy):
        MembershipFactory(organization=organization, user=user, role=Role.MEMBER)
    bo_secret = client_for(bo).patch(ME, {"webhook_url": webhook_server.url()}).json()["webhook_secret"]
    return SimpleNamespace(organization=organization, ana=ana, bo_secret=bo_secret, cy=client_for(cy))


def test_assignment_by_email_and_mention_by_webhook(team, webhook_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = team.cy.post(
            TASKS,
            {
                "organization": str(team.organization.pk),
                "title": "Fix the roof",
                "description": "@bo can you check the gutters? @cy too",
                "assignee": str(team.ana.pk),
            },
        )
    assert response.status_code == 201, response.content
    task_id = response.json()["id"]

    # In-app: ana assigned, bo mentioned; cy acted and hears nothing.
    kinds = set(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {("ana", "assigned"), ("bo", "mentioned")}

    # Email: ana only (bo turned email off).
    (message,) = mail.outbox
    assert message.to == [team.ana.email]
    assert "Fix the roof" in message.subject
    assert f"/tasks/{task_id}" in message.body

    # Webhook: bo's receiver got a signed event it verifies.
    (request,) = webhook_server.received
    assert verify_signature(team.bo_secret, request.headers, request.body)
    event = request.json()
    assert event["type"] == "mentioned"
    assert event["notification"]["target_type"] == "task"
    assert event["notification"]["target_id"] == task_id
    assert event["notification"]["organization_id"] == str(team.organization.pk)
    assert event["notification"]["actor"]["username"] == "cy"
    assert set(NotificationDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_a_mention_in_a_comment_reaches_the_webhook(team, webhook_server, django_capture_on_commit_callbacks):
    task_id = team.cy.post(TASKS, {"organization": str(team.organization.pk), "title": "Quiet task"}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = team.cy.post(f"{TASKS}/{task_id}/comments", {"body": "@bo please review"})
    assert response.status_code == 201, response.content
    (request,) = webhook_server.received
    assert verify_signature(team.bo_secret, request.headers, request.body)
    assert request.json()["type"] == "mentioned"
    assert request.json()["notification"]["body"] == "@bo please review"
    assert mail.outbox == []  # ana is neither mentioned, assigned, nor the creator


def test_a_failed_change_notifies_nobody(team, webhook_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = team.cy.post(
            TASKS,
            {
                "organization": str(team.organization.pk),
                "title": "",
                "description": "@bo",
                "assignee": str(team.ana.pk),
            },
        )
    assert response.status_code == 400
    assert not Notification.objects.exists()
    assert webhook_server.received == []
    assert mail.outbox == []
