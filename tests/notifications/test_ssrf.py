"""Webhook URLs must never reach our own network: a matrix of internal targets, 0 connections made."""

import ipaddress
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from notifications import webhooks
from notifications.models import DeliveryState, NotificationDelivery
from notifications.services import notification_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture(autouse=True)
def _strict(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_REQUIRE_HTTPS = False  # so that plain-http URLs reach the address checks
    settings.NOTIFICATION_MAX_ATTEMPTS = 1


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connect this process attempts (except to the test Redis), refused before any packet."""
    made = []
    redis = urlsplit(django_settings.REDIS_URL) if django_settings.REDIS_URL else None
    real_connect = socket.socket.connect

    def connect(sock, address):
        if redis and address[1] == (redis.port or 6379):
            return real_connect(sock, address)
        made.append(address[:2])
        raise ConnectionRefusedError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return made


def deliver_to(url, django_capture_on_commit_callbacks) -> NotificationDelivery:
    user = UserFactory(notify_email=False, webhook_url=url, webhook_secret="whsec_test")
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipients=[user], kind="test", title="t")
    return NotificationDelivery.objects.get(notification__recipient=user)


def fake_dns(monkeypatch, answers: dict[str, list[list[str]]]):
    """``socket.getaddrinfo`` answering from ``answers[host]``, one list of addresses per call."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown host")
        sequence = answers[host]
        addresses = sequence[min(len([c for c in calls if c == host]), len(sequence)) - 1]
        infos = []
        for address in addresses:
            family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


INTERNAL_URLS = [
    "http://127.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",
    "http://sub.localhost:{port}/hook",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://224.0.0.1/hook",  # multicast
    "http://255.255.255.255/hook",
    "http://[::1]:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[::]:{port}/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "http://0.0.0.0:{port}/hook",
    "http://2130706433:{port}/hook",  # decimal 127.0.0.1
    "http://0177.0.0.1:{port}/hook",  # octal
    "http://0x7f.0.0.1:{port}/hook",  # hex
    "http://127.1:{port}/hook",  # short form
    "https://127.0.0.1:{port}/hook",
]


@pytest.mark.parametrize("template", INTERNAL_URLS)
def test_internal_targets_are_refused_without_a_connection(
    template, webhook_server, connections, django_capture_on_commit_callbacks
):
    delivery = deliver_to(template.format(port=webhook_server.port), django_capture_on_commit_callbacks)
    assert connections == []
    assert webhook_server.received == []
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 1  # refused for good, not retried
    assert "not a public address" in delivery.last_error


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("internal.example.com", ["10.0.0.5"]),
        ("metadata.example.com", ["169.254.169.254"]),
        ("loop6.example.com", ["::1"]),
        ("mapped.example.com", ["::ffff:10.0.0.5"]),
        # One bad address among good ones refuses the name: the connect could pick any of them.
        ("mixed.example.com", [PUBLIC, "127.0.0.1"]),
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(
    name, addresses, monkeypatch, connections, django_capture_on_commit_callbacks
):
    fake_dns(monkeypatch, {name: [addresses]})
    delivery = deliver_to(f"http://{name}/hook", django_capture_on_commit_callbacks)
    assert connections == []
    assert delivery.state == DeliveryState.FAILED
    assert "resolves to a non-public address" in delivery.last_error


def test_dns_rebinding_cannot_slip_through(monkeypatch, connections, webhook_server):
    """First answer public, second loopback: the name is resolved once and the checked address used."""
    calls = fake_dns(monkeypatch, {"rebind.example.com": [[PUBLIC], ["127.0.0.1"]]})
    with pytest.raises(webhooks.WebhookTransientError):
        webhooks.post(url=f"http://rebind.example.com:{webhook_server.port}/hook", body=b"{}", headers={})
    assert calls == ["rebind.example.com"]
    assert connections == [(PUBLIC, webhook_server.port)]
    assert webhook_server.received == []


def test_dns_rebinding_through_a_delivery(monkeypatch, connections, webhook_server, django_capture_on_commit_callbacks):
    calls = fake_dns(monkeypatch, {"rebind.example.com": [[PUBLIC], ["127.0.0.1"]]})
    delivery = deliver_to(f"http://rebind.example.com:{webhook_server.port}/hook", django_capture_on_commit_callbacks)
    assert calls == ["rebind.example.com"]
    assert connections == [(PUBLIC, webhook_server.port)]
    assert webhook_server.received == []
    assert delivery.state == DeliveryState.FAILED
    assert "Could not connect" in delivery.last_error


def test_a_redirect_to_an_internal_address_is_not_followed(
    settings, monkeypatch, webhook_server, django_capture_on_commit_callbacks
):
    from tests.notifications.webhook_server import Answer

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # to reach the local receiver at all
    made = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        made.append(address[:2])
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    webhook_server.default = Answer(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    delivery = deliver_to(webhook_server.url(), django_capture_on_commit_callbacks)
    assert [address for address in made if address[0] == "169.254.169.254"] == []
    assert len(webhook_server.received) == 1
    assert delivery.state == DeliveryState.FAILED
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "must start with https://"),
        ("gopher://example.com/", "must start with https://"),
        ("https://user:pw@example.com/", "must not carry credentials"),
        ("https:///nohost", "has no host"),
        ("https://example.com:99999/", "not a valid URL"),
    ],
)
def test_other_unacceptable_urls(url, message, connections):
    with pytest.raises(webhooks.WebhookBlocked, match=message):
        webhooks.post(url=url, body=b"{}", headers={})
    assert connections == []


def test_http_is_refused_when_https_is_required(settings, connections):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(webhooks.WebhookBlocked, match="must use https"):
        webhooks.post(url="http://example.com/hook", body=b"{}", headers={})
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/x",
        "http://0177.0.0.1/x",
        "http://0x7f.0.0.1/x",
        "http://0.0.0.0/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://172.16.0.1/x",
        "http://192.168.1.1/x",
        "http://100.64.0.1/x",
    ],
)
def test_set_on_me_refuses_internal_literal_addresses(url, auth_client):
    response = auth_client.patch("/api/v1/users/me", {"webhook_url": url})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "webhook_url"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.2", False),
        ("198.18.0.1", False),  # benchmarking
        ("192.0.2.1", False),  # documentation
        ("240.0.0.1", False),  # reserved
        ("2001:db8::1", False),  # documentation
        ("2001:0:4136:e378::1", False),  # Teredo
        ("ff02::1", False),
    ],
)
def test_address_classification(address, public):
    assert webhooks.address_is_public(ipaddress.ip_address(address)) is public
