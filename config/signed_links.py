"""Signed, short-lived links: a URL that is its own credential, for one purpose and one object.

A frontend puts such a URL in a plain ``<a href>`` (a file download needs no bearer header then). The
token is Django's signing (HMAC with ``SECRET_KEY``, ``TimestampSigner`` under ``signing.dumps``) of the
object's id and the person it was made for, salted by its purpose: a link for one export is refused for
another export and for any other purpose, and every link expires ``SIGNED_LINK_MAX_AGE_SECONDS`` after it
was made. What the link leads to checks again, when it is used, that the person may still have it.

Links are made in steps of a fifth of that age: the same person reading the same export within one step
gets the same link, so the resource's representation, and its ``ETag``, stay the same between reads
(``If-None-Match`` answers 304) rather than changing every second. A link therefore works for between four
fifths of the age and the whole age; ``download_url_expires_at`` says exactly until when.
"""

import datetime
import time

from django.conf import settings
from django.core import signing

from config.errors import Forbidden

QUERY_PARAMETER = "token"


def _salt(purpose: str) -> str:
    return f"config.signed_links:{purpose}"


def _step_start() -> int:
    """The start of the current step (seconds since the epoch): when this step's links were signed."""
    step = max(settings.SIGNED_LINK_MAX_AGE_SECONDS // 5, 1)
    now = int(time.time())
    return now - now % step


class _SteppedSigner(signing.TimestampSigner):
    """Django's timestamp signer, stamping the step's start instead of the second: read by any TimestampSigner."""

    def timestamp(self):
        return signing.b62_encode(_step_start())


def signed_link_token(*, purpose: str, subject, user_id) -> str:
    """A token for ``subject`` (an object's id), made for ``user_id``, usable only for ``purpose``."""
    return _SteppedSigner(salt=_salt(purpose)).sign_object({"s": str(subject), "u": str(user_id)})


def signed_link_expires_at() -> datetime.datetime:
    """When the links made now stop working."""
    expires = _step_start() + settings.SIGNED_LINK_MAX_AGE_SECONDS
    return datetime.datetime.fromtimestamp(expires, tz=datetime.UTC)


def signed_link_user_id(token: str | None, *, purpose: str, subject) -> str:
    """The id of the person the token was made for, when it is genuine, unexpired and for this purpose and
    subject; else 403 ``link_expired`` or ``link_invalid``."""
    signed_subject, user_id = signed_link_claims(token, purpose=purpose)
    if signed_subject != str(subject):
        raise Forbidden("This link is not valid.", code="link_invalid")
    return user_id


def signed_link_claims(token: str | None, *, purpose: str) -> tuple[str, str]:
    """(subject, user id) of a genuine, unexpired token for this purpose, for a URL that does not name its
    subject (the caller then checks the subject belongs to that person); else 403 as above."""
    if not token:
        raise Forbidden("This link has no token; ask the API for a new one.", code="link_invalid")
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=settings.SIGNED_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise Forbidden("This link has expired; ask the API for a new one.", code="link_expired") from None
    except signing.BadSignature:
        raise Forbidden("This link is not valid.", code="link_invalid") from None
    if not isinstance(payload, dict) or not payload.get("s") or not payload.get("u"):
        raise Forbidden("This link is not valid.", code="link_invalid")
    return str(payload["s"]), str(payload["u"])
