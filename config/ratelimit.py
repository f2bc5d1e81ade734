"""Rate limits on the shared cache (django-ratelimit), answered 429 with ``Retry-After``.

When the cache cannot be reached the limited endpoints fail closed (503): they are the
sign-in and account-recovery endpoints that attackers brute-force, and an outage must not
switch their protection off. Endpoints without a rate limit keep working.
"""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from config.exceptions import RateLimited, ServiceUnavailable
from config.request_meta import client_ip

logger = logging.getLogger("security")


def enforce_rate_limit(request, *, group: str, value: str, rate_name: str) -> None:
    """Count one attempt of ``group`` for ``value`` (an IP, an account) and raise when over the limit."""
    rate = settings.RATE_LIMITS[rate_name]
    try:
        usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=True)
    except (RedisError, ConnectionInterrupted, OSError) as exc:
        logger.error("Rate limit store unavailable for %s: %s", group, type(exc).__name__)
        raise ServiceUnavailable("Sign-in protection is temporarily unavailable; try again shortly.") from exc
    if usage and usage["should_limit"]:
        logger.warning("Rate limit %s exceeded for %s", group, value)
        raise RateLimited(wait=max(usage["time_left"], 1), detail="Too many attempts; try again later.")


def enforce_ip_rate_limit(request, *, group: str, rate_name: str) -> None:
    enforce_rate_limit(request, group=group, value=client_ip(request), rate_name=rate_name)


def enforce_caller_rate_limits(request, name: str) -> None:
    """The two limits of an endpoint a signed-in caller may use to guess (a password, a code): per client
    address (``RATE_LIMITS[f"{name}_ip"]``) and per account (``f"{name}_account"``); groups are the name
    with dashes (``password-change-ip``, ``password-change-account``)."""
    group = name.replace("_", "-")
    enforce_ip_rate_limit(request, group=f"{group}-ip", rate_name=f"{name}_ip")
    enforce_rate_limit(request, group=f"{group}-account", value=str(request.user.pk), rate_name=f"{name}_account")
