"""The webhook HTTP client: TLS checked against the URL's name on the pinned address, time limits."""

import socket
import ssl
import threading

import pytest
import trustme

from notifications import webhooks
from tests.notifications.webhook_server import WebhookServer

pytestmark = pytest.mark.usefixtures("allow_local_webhooks")


def resolve_to_loopback(monkeypatch, *names):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real("127.0.0.1" if host in names else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="module")
def certificate_authority():
    """A throwaway CA, made in-process by trustme; it issues the test server's certificate."""
    return trustme.CA()


@pytest.fixture
def tls_server(certificate_authority, monkeypatch):
    server = WebhookServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate_authority.issue_cert("hooks.test").configure_cert(context)
    server.sni = []
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.start()
    # The client trusts the test CA (and nothing else), as it trusts the system's CAs in production.
    real = ssl.create_default_context
    trusted = certificate_authority.cert_pem.bytes().decode()
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: real(cadata=trusted))
    yield server
    server.stop()


def test_tls_uses_the_urls_name_on_the_checked_address(tls_server, monkeypatch):
    resolve_to_loopback(monkeypatch, "hooks.test")
    response = webhooks.post(url=f"https://hooks.test:{tls_server.port}/hook", body=b"{}", headers={})
    assert response.status == 200
    assert response.address == "127.0.0.1"
    assert tls_server.sni == ["hooks.test"]  # SNI is the name, not the address
    (request,) = tls_server.received
    assert request.headers["Host"] == f"hooks.test:{tls_server.port}"


def test_a_certificate_for_another_name_is_refused(tls_server, monkeypatch):
    resolve_to_loopback(monkeypatch, "other.test")
    with pytest.raises(webhooks.WebhookTransientError, match="certificate"):
        webhooks.post(url=f"https://other.test:{tls_server.port}/hook", body=b"{}", headers={})
    assert tls_server.received == []


@pytest.fixture
def dripping_server():
    """Answers one byte at a time, each well within the read timeout, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(5)
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                if stop.wait(0.05):  # one byte every 50 ms, until the test is over
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def test_a_dripping_receiver_is_cut_off_by_the_total_timeout(dripping_server, settings):
    settings.WEBHOOK_READ_TIMEOUT = 2
    settings.WEBHOOK_TOTAL_TIMEOUT = 0.5
    # Each byte comes well within the read timeout: only the cap on the whole exchange ends it.
    with pytest.raises(webhooks.WebhookTransientError, match=r"took longer than 0\.5 s"):
        webhooks.post(url=f"http://127.0.0.1:{dripping_server}/hook", body=b"{}", headers={})


def test_a_status_line_then_a_stall_inside_the_headers_is_a_timeout(webhook_server, settings):
    settings.WEBHOOK_READ_TIMEOUT = 30
    settings.WEBHOOK_TOTAL_TIMEOUT = 0.5
    webhook_server.stall_next_in_headers(200)
    # Only the cap on the whole exchange ends it; the EOF it causes must not pass for the end of the headers.
    with pytest.raises(webhooks.WebhookTransientError, match=r"took longer than 0\.5 s"):
        webhooks.post(url=webhook_server.url(), body=b"{}", headers={})
    assert len(webhook_server.received) == 1


def test_a_closed_port_is_a_transient_error():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(webhooks.WebhookTransientError, match="Could not connect"):
        webhooks.post(url=f"http://127.0.0.1:{port}/hook", body=b"{}", headers={})
