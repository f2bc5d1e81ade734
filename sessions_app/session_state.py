"""The per-request session check, cached so that it costs one cache read.

A session's state (user, expiry, revoked) is cached for ``SESSION_STATE_CACHE_SECONDS``
and forgotten on revocation, so a revoked session's access token fails on the very next
request. When the cache is unreachable the check reads the database instead: revocation
is never skipped because Redis is down.
"""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from sessions_app.models import UserSession

logger = logging.getLogger("security")

REVOKED = "revoked"
# Update last_seen_at at most this often per session, so reads do not each cost a write.
LAST_SEEN_RESOLUTION_SECONDS = 60


def _key(session_id) -> str:
    return f"session-state:{session_id}"


def key_of(session_id) -> str | None:
    """The cache key of a session's state (None for an id that is none), for a caller that reads it with others."""
    try:
        return _key(uuid.UUID(str(session_id)))
    except ValueError:
        return None


_UNREAD = object()


def _active_state(user_id, expires_at, seen: float = 0.0) -> dict:
    return {"state": "active", "user": str(user_id), "exp": expires_at.timestamp(), "seen": seen}


def remember(session) -> None:
    """Prime the cache when a session opens, so its first request costs no extra query."""
    _cache_set(_key(session.pk), _active_state(session.user_id, session.expires_at, seen=time.time()))


def _load(session_id) -> dict | None:
    row = UserSession.objects.filter(pk=session_id).values("user_id", "expires_at", "revoked_at").first()
    if row is None:
        return None
    if row["revoked_at"] is not None:
        return {"state": REVOKED}
    return _active_state(row["user_id"], row["expires_at"])


def _cache_get(key):
    try:
        return cache.get(key), True
    except Exception as exc:  # the cache is an optimisation; the database is the truth
        logger.warning("Session state cache unavailable: %s", type(exc).__name__)
        return None, False


def _cache_set(key, value):
    try:
        cache.set(key, value, timeout=settings.SESSION_STATE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Session state cache unavailable: %s", type(exc).__name__)


def check(session_id, user_id, *, state=_UNREAD) -> str | None:
    """``None`` when the session may be used by ``user_id``; otherwise the failure code. ``state``: the value
    under ``key_of(session_id)`` when the caller read it from the cache already (None: not there)."""
    try:
        session_id = uuid.UUID(str(session_id))
    except ValueError:
        return "session_not_found"
    key = _key(session_id)
    state, cache_ok = _cache_get(key) if state is _UNREAD else (state, True)
    if state is None:
        state = _load(session_id)
        if state is None:
            return "session_not_found"
        if cache_ok:
            _cache_set(key, state)
    if state["state"] == REVOKED:
        return "session_revoked"
    if state["user"] != str(user_id):
        return "session_not_found"
    now = time.time()
    if state["exp"] <= now:
        return "session_expired"
    if now - state["seen"] >= LAST_SEEN_RESOLUTION_SECONDS:
        UserSession.objects.filter(pk=session_id).update(last_seen_at=timezone.now())
        if cache_ok:
            _cache_set(key, {**state, "seen": now})
    return None


def forget(session_ids) -> None:
    """Called on revocation: the next check of these sessions reads the database."""
    keys = [_key(sid) for sid in session_ids]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception as exc:
        # The cached state expires within SESSION_STATE_CACHE_SECONDS; say so loudly.
        logger.error("Could not forget revoked sessions in the cache (%s): %s", type(exc).__name__, session_ids)
