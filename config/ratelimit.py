"""Rate limits: every request counted once, one way, on the shared cache; the IETF RateLimit fields on every answer.

Every request but the health probes counts against the limit of its endpoint class (``RATE_LIMIT_CLASSES``):
per user when a caller is signed in, per client IP otherwise, where the anonymous ceiling (``anonymous_ip``,
across classes) applies too. A view names its class with ``rate_limit_class``; without one, safe methods
read and the others write. DRF views are counted by ``throttle`` (config/throttling.py, in
DEFAULT_THROTTLE_CLASSES) once the caller is known; other views (the OAuth authorization pages, the
admin) by ``RateLimitMiddleware`` per client IP before they run; an answer given before either (no
route, a middleware's refusal, DRF's 401 or 403 before its throttles) is counted on its way out.
Endpoints that take guesses add limits of their own (``enforce_rate_limit``,
``enforce_caller_rate_limits``) on the same limiter. Limits are in the ``RATE_LIMITS`` setting
(config/settings/ratelimits.py).

Counting is GCRA (the generic cell rate algorithm), a token bucket kept as one timestamp per key, its
"theoretical arrival time": N per W lets a burst of N through, then one more every W/N seconds, so no
stretch of time, across any boundary, passes more than N plus what refilled during it (fixed windows let
2N through around a window's edge). On Redis one Lua script checks and moves every limit of a request
atomically, in one round trip; on the in-process cache a lock does. Nothing here touches the database.

When the store is down the class limits fail open (an error is logged, answers carry no RateLimit
fields): a Redis outage must not take the whole API down. The guess limits fail closed (503): switching
brute-force protection off for the length of an outage is worse than refusing sign-ins during it.
"""

import hashlib
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.permissions import SAFE_METHODS

from config.exceptions import RateLimited, ServiceUnavailable, json_error_response
from config.request_meta import client_ip

logger = logging.getLogger("security")

RATE_LIMIT_CLASSES = ("read", "write", "upload", "export", "auth")
# Probes: a load balancer checking health must never be refused.
UNLIMITED_PATHS = frozenset({"/health", "/health/live"})
STORE_ERRORS = (RedisError, ConnectionInterrupted, OSError)

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
# A request may pass this much early (seconds): float rounding of W/N must not refuse the last of a burst.
_TOLERANCE = 1e-4
_local_lock = threading.Lock()

# One call checks every limit of a request and, only if each has room, moves each on by its interval.
# KEYS: one per limit. ARGV: now and the tolerance (seconds), then each key's limit and window (seconds).
# Answers 1 or 0 (passed), then each key's arrival time as a string (Lua numbers come back as integers).
_GCRA_LUA = """
local now, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tats, intervals, passed = {}, {}, 1
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 2])
  intervals[i] = window / tonumber(ARGV[2 * i + 1])
  tats[i] = math.max(tonumber(redis.call('GET', key) or 0), now)
  if tats[i] + intervals[i] - window > now + tolerance then passed = 0 end
end
local answer = {passed}
for i, key in ipairs(KEYS) do
  if passed == 1 then
    tats[i] = tats[i] + intervals[i]
    redis.call('SET', key, string.format('%.6f', tats[i]), 'PX', math.max(1, math.ceil((tats[i] - now) * 1000)))
  end
  answer[i + 1] = string.format('%.6f', tats[i])
end
return answer
"""


def clock() -> float:
    """Seconds since the epoch; the tests stand it still and move it."""
    return time.time()


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    @property
    def interval(self) -> float:
        return self.window / self.limit


@lru_cache(maxsize=512)
def parse_rate(rate: str) -> Rate:
    """``N/period``: ``10/m``, ``10/15m``, ``100/60s``, ``3/d``."""
    match = _RATE.match(rate.strip())
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(f"Not a rate: {rate!r}; expected N/s, N/m, N/h or N/d, e.g. 10/15m.")
    return Rate(limit=int(match[1]), window=int(match[2] or 1) * _PERIOD_SECONDS[match[3]])


@dataclass(frozen=True)
class Usage:
    """One limit after a request: what the RateLimit fields say of it."""

    rate: Rate
    passed: bool
    remaining: int
    reset: float  # seconds until the whole limit is available again
    retry_after: float  # seconds until one more request fits (0 when one fits now)


def _usage(rate: Rate, tat: float, now: float, *, passed: bool) -> Usage:
    room = math.floor((now - tat + rate.window + _TOLERANCE) / rate.interval)
    return Usage(
        rate=rate,
        passed=passed,
        remaining=min(rate.limit, max(0, room)),
        # To the millisecond: the stored times' microsecond rounding must not add a second to a wait.
        reset=max(0.0, round(tat - now, 3)),
        retry_after=max(0.0, round(tat + rate.interval - rate.window - now, 3)),
    )


def _fits(tat: float, rate: Rate, now: float) -> bool:
    return tat + rate.interval - rate.window <= now + _TOLERANCE


def _hit_redis(cache, keys: list[str], rates: list[Rate], now: float) -> tuple[bool, list[float]]:
    client = cache.client.get_client(write=True)
    args = [repr(now), repr(_TOLERANCE)]
    for rate in rates:
        args += [rate.limit, rate.window]
    answer = client.register_script(_GCRA_LUA)(keys=[cache.make_key(key) for key in keys], args=args, client=client)
    return answer[0] == 1, [float(tat) for tat in answer[1:]]


def _hit_in_process(cache, keys: list[str], rates: list[Rate], now: float) -> tuple[bool, list[float]]:
    """The same algorithm under a lock: atomic within this process, which is all the in-process cache serves
    (another backend shared between processes would need a script of its own, as Redis has)."""
    with _local_lock:
        stored = cache.get_many(keys)
        tats = [max(stored.get(key, 0.0), now) for key in keys]
        passed = all(_fits(tat, rate, now) for tat, rate in zip(tats, rates, strict=True))
        if passed:
            tats = [tat + rate.interval for tat, rate in zip(tats, rates, strict=True)]
            for key, tat in zip(keys, tats, strict=True):
                cache.set(key, tat, timeout=max(1, math.ceil(tat - now)))
    return passed, tats


def _http_request(request):
    """The Django request behind a DRF one: what the middleware sees."""
    return getattr(request, "_request", request)


def _count(request, checks: list[tuple[str, str]]) -> list[Usage]:
    """Count one request against each ``(RATE_LIMITS name, who)`` at once; raises STORE_ERRORS.

    The request passes only if every limit has room; a refused request uses none. The usages are kept on
    the request for its RateLimit fields.
    """
    rates = [parse_rate(settings.RATE_LIMITS[name]) for name, _ in checks]
    keys = [f"ratelimit:{name}:{hashlib.sha256(who.encode()).hexdigest()[:32]}" for name, who in checks]
    cache = caches["default"]
    now = clock()
    hit = _hit_redis if isinstance(cache, RedisCache) else _hit_in_process
    passed, tats = hit(cache, keys, rates, now)
    usages = [_usage(rate, tat, now, passed=passed) for rate, tat in zip(rates, tats, strict=True)]
    http_request = _http_request(request)
    http_request.rate_limit_usages = [*getattr(http_request, "rate_limit_usages", []), *usages]
    return usages


def _wait(usages: list[Usage]) -> float | None:
    """Seconds until the refused request would pass, or None when it passed."""
    if all(usage.passed for usage in usages):
        return None
    return max(0.001, *(usage.retry_after for usage in usages))


# --- The endpoint classes ----------------------------------------------------------------


def is_unlimited(path: str) -> bool:
    return path in UNLIMITED_PATHS


def rate_class_of(view, method: str) -> str:
    """A request's endpoint class: the view's ``rate_limit_class`` (a class, or a mapping from the DRF action
    or the lower-case method to a class), else ``read`` for safe methods and ``write`` for the others."""
    declared = getattr(view, "rate_limit_class", None)
    if isinstance(declared, dict):
        declared = declared.get(getattr(view, "action", None) or "") or declared.get(method.lower())
    return declared or ("read" if method in SAFE_METHODS else "write")


def _class_checks(request, rate_class: str, user) -> list[tuple[str, str]]:
    if user is not None and user.is_authenticated:
        return [(f"{rate_class}_user", f"user:{user.pk}")]
    address = client_ip(request)
    return [(f"{rate_class}_ip", address), ("anonymous_ip", address)]


def count_request(request, *, rate_class: str, user=None) -> float | None:
    """Count a request against its class (per user when ``user`` is signed in, else per client IP and the
    anonymous ceiling): seconds to wait when it is over the limit, else None. Fails open."""
    http_request = _http_request(request)
    http_request.rate_limit_counted = True
    try:
        return _wait(_count(request, _class_checks(request, rate_class, user)))
    except STORE_ERRORS as exc:
        logger.error(
            "Rate limit store unavailable; %s %s not limited: %s", request.method, request.path, type(exc).__name__
        )
        return None


def is_counted(request) -> bool:
    return getattr(_http_request(request), "rate_limit_counted", False)


def rate_limit_fields(request) -> dict[str, str]:
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-06) of the request's limit closest to
    running out: the fewest remaining, then the longest to reset; none when nothing was counted."""
    usages = getattr(_http_request(request), "rate_limit_usages", None)
    if not usages:
        return {}
    usage = min(usages, key=lambda usage: (usage.remaining, -usage.reset))
    return {
        "RateLimit-Limit": str(usage.rate.limit),
        "RateLimit-Remaining": str(usage.remaining),
        "RateLimit-Reset": str(math.ceil(usage.reset)),
        "RateLimit-Policy": f"{usage.rate.limit};w={usage.rate.window}",
    }


TOO_MANY_REQUESTS = "Too many requests; try again later."


def rate_limited_response(wait: float):
    """429 outside DRF: the envelope with Retry-After."""
    response = json_error_response(429, RateLimited.default_code, TOO_MANY_REQUESTS)
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def throttle(request, view) -> None:
    """DRF's throttle (config/throttling.py): count a request against its class once its caller is known."""
    if is_unlimited(request.path) or is_counted(request):
        return
    wait = count_request(request, rate_class=rate_class_of(view, request.method), user=request.user)
    if wait is not None:
        raise RateLimited(wait=wait, detail=TOO_MANY_REQUESTS)


class RateLimitMiddleware:
    """Counts what DRF's throttle does not, and writes the RateLimit fields on every answer.

    Views outside DRF are counted per client IP before they run. An answer given before any count (no
    route matched, a middleware answered, DRF refused with 401 or 403 before its throttles) is counted on
    its way out, as the caller DRF resolved if any; over the limit it becomes a 429.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_unlimited(request.path):
            return self.get_response(request)
        response = self.get_response(request)
        if not is_counted(request):
            response = self._count_afterwards(request, response)
        for field, value in rate_limit_fields(request).items():
            response[field] = value
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_unlimited(request.path) or hasattr(getattr(view_func, "cls", None), "throttle_classes"):
            return None  # a DRF view: counted by its throttle, once DRF knows the caller
        view = getattr(view_func, "view_class", None)
        wait = count_request(request, rate_class=rate_class_of(view, request.method))
        return None if wait is None else rate_limited_response(wait)

    @staticmethod
    def _count_afterwards(request, response):
        context = getattr(response, "renderer_context", None) or {}
        # The user DRF resolved, if it got that far; reading ``.user`` would authenticate anew.
        user = getattr(context.get("request"), "_user", None)
        wait = count_request(request, rate_class=rate_class_of(context.get("view"), request.method), user=user)
        return response if wait is None else rate_limited_response(wait)


# --- Guess limits: endpoints that take a password or a code -----------------------------------


def _enforce(request, checks: list[tuple[str, str]]) -> None:
    try:
        usages = _count(request, checks)
    except STORE_ERRORS as exc:
        logger.error("Rate limit store unavailable for %s: %s", checks[0][0], type(exc).__name__)
        raise ServiceUnavailable("Sign-in protection is temporarily unavailable; try again shortly.") from exc
    wait = _wait(usages)
    if wait is not None:
        over = [name for (name, _), usage in zip(checks, usages, strict=True) if not usage.passed]
        logger.warning("Rate limit %s exceeded for %s", ", ".join(over), ", ".join(who for _, who in checks))
        raise RateLimited(wait=max(wait, 1), detail="Too many attempts; try again later.")


def enforce_rate_limit(request, rate_name: str, *, value: str) -> None:
    """Count one attempt of ``rate_name`` (a ``RATE_LIMITS`` name) for ``value`` (an IP, an account) and raise
    429 when over the limit, 503 when the store cannot say (fail closed)."""
    _enforce(request, [(rate_name, value)])


def enforce_ip_rate_limit(request, rate_name: str) -> None:
    _enforce(request, [(rate_name, client_ip(request))])


def enforce_caller_rate_limits(request, name: str) -> None:
    """The two limits of an endpoint a signed-in caller may use to guess (a password, a code), counted at
    once: per client address (``RATE_LIMITS[f"{name}_ip"]``) and per account (``f"{name}_account"``)."""
    _enforce(request, [(f"{name}_ip", client_ip(request)), (f"{name}_account", str(request.user.pk))])
