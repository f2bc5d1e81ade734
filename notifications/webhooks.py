"""Webhook requests to user-chosen URLs, without letting those URLs reach our own network.

A webhook URL is typed by a user, so the request it causes comes from inside our network on
their behalf (SSRF). The guard:

- only ``http``/``https`` (``https`` only with ``WEBHOOK_REQUIRE_HTTPS``, on in production), no
  credentials in the URL;
- the host name is resolved **once**; every address it resolves to must be public (not loopback,
  private, link-local, CGNAT, multicast, reserved, unspecified, nor IPv6 forms embedding such an
  IPv4 address); the socket then connects to one of those validated addresses while TLS (SNI and
  certificate check) and the ``Host`` header use the original name. Nothing resolves the name a
  second time, so a DNS answer that changes between check and use (rebinding) cannot redirect it;
- redirects are never followed; connect and read time out quickly; the response body is not read
  beyond a small prefix.

``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` turns the address check off (tests with a local server).
"""

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from config.text import truncate

USER_AGENT = "TeamWorkspace-Webhooks/1.0"
SIGNATURE_VERSION = "v1"
HEADER_ID = "X-Webhook-Id"
HEADER_TIMESTAMP = "X-Webhook-Timestamp"
HEADER_SIGNATURE = "X-Webhook-Signature"
HEADER_EVENT = "X-Webhook-Event"
DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"})
# What is kept of an answer: its start (organization webhooks show the first kilobyte in their history).
RESPONSE_PREFIX_BYTES = 1024

# Ranges that ``ipaddress`` flags do not all cover in every Python version, checked explicitly.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookBlocked(Exception):
    """The URL may never be delivered to (bad scheme, non-public address, ...): retrying cannot help."""


class WebhookTransientError(Exception):
    """The receiver could not be reached or answered with a temporary failure: worth retrying."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status  # the receiver's answer, when it answered
        self.body = body


class WebhookRejected(Exception):
    """The receiver answered with a permanent failure (4xx, a redirect): retrying cannot help."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    address: str
    body: str = ""  # the first RESPONSE_PREFIX_BYTES of the answer


def secret_make() -> str:
    return f"whsec_{secrets.token_hex(32)}"


def signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}.{body}"`` with the user's webhook secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def is_discord(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() in DISCORD_HOSTS and parts.path.startswith("/api/webhooks/")


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # Forms that embed an IPv4 address (mapped, 6to4, NAT64) are judged by that address.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(embedded)
        if address.teredo is not None:
            return False
    if any(address in network for network in _BLOCKED_NETWORKS if network.version == address.version):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host spells literally, in any form the C resolver accepts (``2130706433``, ``0x7f.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False))


def _check_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and request path of an acceptable URL; ``WebhookBlocked`` otherwise. No DNS."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookBlocked("The webhook URL is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookBlocked("A webhook URL must start with https:// (or http:// outside production).")
    if scheme == "http" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise WebhookBlocked("A webhook URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise WebhookBlocked("A webhook URL must not carry credentials.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise WebhookBlocked("The webhook URL has no host.")
    if not _allow_private():
        literal = _literal_address(host)
        if literal is not None and not address_is_public(literal):
            raise WebhookBlocked(f"The webhook host {host} is not a public address.")
        if host == "localhost" or host.endswith(".localhost"):
            raise WebhookBlocked(f"The webhook host {host} is not a public address.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def url_validate(url: str) -> None:
    """Check a webhook URL as a user sets it (no DNS lookup; delivery checks the resolved address)."""
    try:
        _check_url(url)
    except WebhookBlocked as exc:
        raise ValidationError({"webhook_url": ValidationError(str(exc), code="webhook_url_not_allowed")}) from exc


def _resolve(host: str, port: int) -> list[tuple]:
    """Resolve once; every address must be public, else the whole URL is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookTransientError(f"Could not resolve {host}: {exc}") from exc
    if not infos:
        raise WebhookTransientError(f"{host} resolved to no address.")
    if not _allow_private():
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if not address_is_public(address):
                raise WebhookBlocked(f"The webhook host {host} resolves to a non-public address ({address}).")
    return infos


def _connect(infos: list[tuple], connect_timeout: float) -> tuple[socket.socket, str]:
    """Open a TCP connection to one of the validated addresses, in the resolver's order."""
    error: OSError | None = None
    for family, socktype, proto, _, sockaddr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(connect_timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock, sockaddr[0]
    raise WebhookTransientError(f"Could not connect: {error}")


class _PinnedConnection(http.client.HTTPConnection):
    """Uses an already connected socket: http.client must not resolve the name again."""

    def __init__(self, host, port, sock, timeout):
        super().__init__(host, port, timeout=timeout)
        self._pinned = sock

    def connect(self):
        self.sock = self._pinned


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, sock, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._pinned = sock

    def connect(self):
        # SNI and certificate verification against the name the user gave, on the address we checked.
        self.sock = self._context.wrap_socket(self._pinned, server_hostname=self.host)


def post(*, url: str, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    """POST ``body`` to ``url`` under the guard; raises ``WebhookBlocked``, ``WebhookRejected`` or
    ``WebhookTransientError`` unless the receiver answered 2xx."""
    scheme, host, port, path = _check_url(url)
    infos = _resolve(host, port)
    sock, address = _connect(infos, settings.WEBHOOK_CONNECT_TIMEOUT)
    sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedConnection
    connection = connection_class(host, port, sock, settings.WEBHOOK_READ_TIMEOUT)
    # The read timeout bounds each read; a receiver dripping a byte at a time could still hold the
    # worker past NOTIFICATION_SENDING_TIMEOUT (and be sent twice), so the whole exchange has a cap.
    expired = threading.Event()
    watchdog = threading.Timer(settings.WEBHOOK_TOTAL_TIMEOUT, _abort, [sock, expired])
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        status = response.status
        retry_after = response.getheader("Retry-After")
        prefix = response.read(RESPONSE_PREFIX_BYTES).decode("utf-8", "replace").strip()
        # Cutting the socket ends the reads with an EOF, which http.client takes for the end of
        # the headers or of the body: a status line followed by a stall would read as a complete
        # answer. Whatever was read, an exchange the watchdog cut short is a timeout.
        if expired.is_set():
            raise TimeoutError("the total timeout cut the exchange")
    except ssl.SSLCertVerificationError as exc:
        raise WebhookTransientError(f"TLS certificate of {host} not valid: {exc.verify_message}") from exc
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise WebhookTransientError(
                f"{host} took longer than {settings.WEBHOOK_TOTAL_TIMEOUT:g} s to answer"
            ) from exc
        raise WebhookTransientError(f"{type(exc).__name__} talking to {host}: {exc}") from exc
    finally:
        watchdog.cancel()
        connection.close()

    if 200 <= status < 300:
        return WebhookResponse(status=status, address=address, body=prefix)
    summary = f"HTTP {status} from {host}" + (f": {truncate(prefix, 200)}" if prefix else "")
    if 300 <= status < 400:
        raise WebhookRejected(f"{summary} (redirects are not followed)", status=status, body=prefix)
    if status in (408, 425, 429) or status >= 500:
        raise WebhookTransientError(summary, retry_after=_seconds(retry_after), status=status, body=prefix)
    raise WebhookRejected(summary, status=status, body=prefix)


def _abort(sock: socket.socket, expired: threading.Event) -> None:
    expired.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
