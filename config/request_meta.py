"""Facts about the client of a request that security decisions rely on."""

import ipaddress

from django.conf import settings

from config.text import truncate


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` proxies stand in front.

    With N trusted proxies the client is the N-th address from the right of
    ``X-Forwarded-For``; everything left of it was written by the client and is ignored,
    so a forged header cannot choose the address that rate limits count.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a placeholder, never bound
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def user_agent(request) -> str:
    return truncate(request.META.get("HTTP_USER_AGENT", ""), 512)
