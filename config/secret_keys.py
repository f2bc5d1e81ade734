"""Digests keyed by the secret key that survive its rotation.

Django signs its own values (sessions, password-reset links, ``django.core.signing``) with
``SECRET_KEY`` and accepts ``SECRET_KEY_FALLBACKS`` when checking. The digests we store ourselves
with ``salted_hmac`` (a recovery code's, an emailed code's) are checked here the same way: made with
the current key, matched against it and every fallback key, so rotating the key
(docs/operations.md#rotating-keys) does not void the codes people already hold while their old key
is still a fallback.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac


def keyed_digest(salt: str, message: str, *, secret: str | None = None) -> str:
    """The HMAC-SHA256 of ``message`` under ``secret`` (the current secret key by default), as hex."""
    return salted_hmac(salt, message, secret=secret, algorithm="sha256").hexdigest()


def keyed_digests(salt: str, message: str) -> list[str]:
    """The digest of ``message`` under the current key, then under each fallback key."""
    return [keyed_digest(salt, message, secret=key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def digest_matches(stored: str, candidates: list[str]) -> bool:
    """Whether ``stored`` is one of ``candidates``, comparing with every one (no early exit)."""
    matched = False
    for candidate in candidates:
        matched |= constant_time_compare(stored, candidate)
    return matched
