"""Organization webhook endpoints through the API: who may manage them, the secret shown once, rotation,
the delivery history, ping and redelivery, the SSRF guard, and the audit trail (organization changes)."""

import pytest
from django.utils import timezone

from org_webhooks.models import WebhookDelivery, WebhookEndpoint
from organizations.changes import organization_changed
from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.org_webhooks.receiver import verify
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(hooks):
    created = hooks.create(
        url="https://hooks.example.com/in", events=["task.created", "member.added"], description="CI"
    )
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["task.created", "member.added"]
    assert created["kind"] == "webhook"
    assert created["active"] is True
    shown = hooks.client.get(hooks.url(created["id"])).json()
    assert "secret" not in shown
    listed = hooks.client.get(hooks.base).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example.com/in", "events": ["task.exploded"]}, "events"),
        ({"url": "https://hooks.example.com/in", "events": []}, "events"),
        ({"url": "ftp://hooks.example.com/in", "events": ["*"]}, "url"),
        ({"url": "https://hooks.example.com/in", "events": ["*"], "kind": "slack"}, "kind"),
    ],
)
def test_invalid_endpoints_are_refused(hooks, body, field):
    body = assert_error(hooks.client.post(hooks.base, body, format="json"), 400)
    assert field in [error["field"].split(".")[0] for error in body["errors"]]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "https://10.0.0.7/hook", "https://[::1]/x", "https://localhost/x"]
)
def test_private_addresses_are_refused(hooks, settings, url):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    body = assert_error(hooks.client.post(hooks.base, {"url": url, "events": ["*"]}, format="json"), 400)
    assert body["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_a_delivery_to_a_name_resolving_to_a_private_address_fails_without_retrying(
    hooks, org, django_capture_on_commit_callbacks, monkeypatch
):
    import socket

    endpoint = hooks.create(url="https://internal.example.com/hook")
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        hooks.client.post(hooks.url(endpoint["id"], "/ping"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.attempts == 1
    assert "non-public address" in delivery.last_error


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_below_admin_are_refused_and_outsiders_see_nothing(org, other_org, client_for, role):
    endpoint = WebhookEndpointFactory(organization=org.organization)
    base = f"/api/v1/organizations/{org.id}/webhooks"
    assert_error(client_for(org.users[role]).get(base), 403)
    assert_error(client_for(org.users[role]).get(f"{base}/{endpoint.pk}/deliveries"), 403)
    assert_error(client_for(other_org.owner).get(base), 404)
    assert_error(client_for(other_org.owner).post(f"{base}/{endpoint.pk}/ping"), 404)
    # Another organization's endpoint under this organization's URL: unknown.
    theirs = WebhookEndpointFactory(organization=other_org.organization)
    assert_error(client_for(org.admin).get(f"{base}/{theirs.pk}"), 404)


def test_tokens_need_org_admin(org, client_with_token):
    base = f"/api/v1/organizations/{org.id}/webhooks"
    reader = client_with_token(org.admin, scopes=["tasks:read", "members:read"], organizations=[org.organization])
    assert_error(reader.get(base), 403, "insufficient_scope")
    admin = client_with_token(org.admin, scopes=["org:admin"], organizations=[org.organization])
    assert admin.get(base).status_code == 200


def test_patch_edits_pauses_and_resumes(hooks, org):
    endpoint = hooks.create(url="https://hooks.example.com/in")
    response = hooks.client.patch(
        hooks.url(endpoint["id"]), {"events": ["task.deleted"], "active": False}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["paused_reason"]
    assert_error(hooks.client.post(hooks.url(endpoint["id"], "/ping")), 409, "conflict")
    resumed = hooks.client.patch(hooks.url(endpoint["id"]), {"active": True}, format="json").json()
    assert resumed["active"] is True
    assert resumed["paused_reason"] == ""
    assert resumed["paused_at"] is None
    assert hooks.client.delete(hooks.url(endpoint["id"])).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_each_change_of_an_endpoint_is_told_to_the_organization_without_its_secret(hooks):
    heard = []

    def listen(sender, change, **kwargs):
        heard.append(change)

    organization_changed.connect(listen)
    try:
        endpoint = hooks.create(url="https://hooks.example.com/in")
        hooks.client.patch(hooks.url(endpoint["id"]), {"description": "new"}, format="json")
        rotated = hooks.client.post(hooks.url(endpoint["id"], "/rotate-secret")).json()
        hooks.client.delete(hooks.url(endpoint["id"]))
    finally:
        organization_changed.disconnect(listen)
    assert [c.action for c in heard] == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    assert heard[1].before == {"description": ""}
    assert heard[1].after == {"description": "new"}
    for change in heard:
        values = repr(change.before) + repr(change.after)
        assert "whsec_" not in values
        assert endpoint["secret"] not in values
        assert rotated["secret"] not in values


def test_rotation_signs_with_both_secrets_inside_the_window_then_only_the_new(
    hooks, webhook_server, allow_local_webhooks, django_capture_on_commit_callbacks, settings
):
    endpoint = hooks.create(url=webhook_server.url("/in"))
    old_secret = endpoint["secret"]
    rotated = hooks.client.post(hooks.url(endpoint["id"], "/rotate-secret"))
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret
    assert rotated.json()["previous_secret_expires_at"]
    with django_capture_on_commit_callbacks(execute=True):
        hooks.client.post(hooks.url(endpoint["id"], "/ping"))
    inside = webhook_server.received[-1]
    assert len(inside.headers["webhook-signature"].split(" ")) == 2
    assert verify(new_secret, inside.headers, inside.body)
    assert verify(old_secret, inside.headers, inside.body)

    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(previous_secret_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        hooks.client.post(hooks.url(endpoint["id"], "/ping"))
    after = webhook_server.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(new_secret, after.headers, after.body)
    assert not verify(old_secret, after.headers, after.body)
    assert hooks.client.get(hooks.url(endpoint["id"])).json()["previous_secret_expires_at"] is None


def test_ping_is_delivered_and_shows_in_the_history(
    hooks, org, webhook_server, allow_local_webhooks, django_capture_on_commit_callbacks
):
    from tests.notifications.webhook_server import Answer

    endpoint = hooks.create(url=webhook_server.url("/in"))
    webhook_server.script.append(Answer(200, body=b"ok " + b"x" * 2000))
    with django_capture_on_commit_callbacks(execute=True):
        response = hooks.client.post(hooks.url(endpoint["id"], "/ping"))
    assert response.status_code == 202
    (received,) = webhook_server.received
    assert verify(endpoint["secret"], received.headers, received.body)
    assert received.json()["type"] == "webhook.ping"
    assert received.json()["organization"] == {
        "id": str(org.id),
        "name": org.organization.name,
        "slug": org.organization.slug,
    }
    (row,) = hooks.client.get(hooks.url(endpoint["id"], "/deliveries")).json()["data"]
    assert row["state"] == "delivered"
    assert row["attempts"] == 1
    assert row["response_status"] == 200
    assert row["webhook_id"] == received.headers["webhook-id"]
    assert row["latency_ms"] is not None
    assert row["delivered_at"]
    assert row["response_body"].startswith("ok x")
    assert len(row["response_body"].encode()) == 1024


def test_redeliver_sends_the_same_event_id_and_body(
    hooks, webhook_server, allow_local_webhooks, django_capture_on_commit_callbacks
):
    endpoint = hooks.create(url=webhook_server.url("/in"))
    original = WebhookDeliveryFactory(
        endpoint_id=endpoint["id"], state="failed", body='{"type":"task.created","data":{"id":"t1"}}'
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = hooks.client.post(hooks.url(endpoint["id"], f"/deliveries/{original.pk}/redeliver"))
    assert response.status_code == 202, response.content
    assert response.json()["webhook_id"] == str(original.event_id)
    assert response.json()["redelivery_of"] == str(original.pk)
    (received,) = webhook_server.received
    assert received.headers["webhook-id"] == str(original.event_id)
    assert received.body == original.body.encode()
    assert verify(endpoint["secret"], received.headers, received.body)
    history = hooks.client.get(hooks.url(endpoint["id"], "/deliveries")).json()["data"]
    assert [row["state"] for row in history] == ["delivered", "failed"]


def test_redeliver_of_another_endpoints_delivery_is_not_found(hooks, org):
    mine = hooks.create(url="https://hooks.example.com/a")
    other = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(organization=org.organization))
    assert_error(hooks.client.post(hooks.url(mine["id"], f"/deliveries/{other.pk}/redeliver")), 404)
