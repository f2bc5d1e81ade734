"""``Idempotency-Key`` on every POST of the API (IETF draft "The Idempotency-Key HTTP Header Field").

A middleware rather than a view mixin, so that every POST view, of whatever base class, takes the key
without a line of its own. For a POST under ``/api/`` that carries the header, before the view runs:

1. The key is checked (``config.idempotency_keys``): malformed, 400 ``invalid_idempotency_key``.
2. The caller is identified with the view's own authentication classes (the view identifies them again:
   a fixed cost, paid only by keyed requests). Keys are per person: an anonymous POST (sign-in, sign-up,
   refresh, password reset) is never kept, since its answers carry credentials or are one-time; nor are the
   answers a view marks ``idempotency_exempt`` (a new token, a signing secret, recovery codes: a secret shown
   once must not sit in a table).
3. The request's fingerprint: SHA-256 of the method, the path with its query, the media type and the body.
   A multipart body is hashed with its boundary set aside (a browser draws a new one for each try), as it
   streams to a temporary file that the view then reads, up to IDEMPOTENCY_MAX_BODY_BYTES.
4. The key is claimed (``idempotency.services.key_claim``): new, the view runs; the same key and fingerprint
   answered already, that answer again with ``Idempotent-Replayed: true``; another fingerprint, 422
   ``idempotency_key_reused``; still running, 409 ``idempotency_key_in_flight``.

After the view, a 2xx or 4xx answer is kept (its status, JSON body, Content-Type and Location); a 5xx, a
429 (it says "later", not "no"), an authentication failure, an answer that sets a cookie or says
``Cache-Control: no-store`` is not, and the claim is let go so that a retry runs again. A worker that dies
leaves a claim that lapses after IDEMPOTENCY_IN_FLIGHT_SECONDS.
"""

import hashlib
import logging
import tempfile

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from config import idempotency_keys
from config.exceptions import json_error_response
from config.ratelimit import count_request, rate_class_of, rate_limited_response
from idempotency import services
from idempotency.services import Outcome

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# What of an answer is kept and replayed, besides its status and body.
KEPT_HEADERS = ("Content-Type", "Location")
NOT_KEPT_STATUSES = {401, 429}
# A boundary, wherever it stood in a multipart body, hashes as this.
BOUNDARY_STAND_IN = b"\x00boundary\x00"


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except BaseException:
            record = request.__dict__.pop("_idempotency_claim", None)
            if record is not None:
                services.key_release(record=record)
            raise
        finally:
            spooled = request.__dict__.pop("_idempotency_spool", None)
            if spooled is not None:
                spooled.close()
        record = request.__dict__.pop("_idempotency_claim", None)
        if record is not None:
            try:
                if _keepable(response):
                    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
                    services.key_complete(
                        record=record, status_code=response.status_code, body=response.content, headers=headers
                    )
                else:
                    services.key_release(record=record)
            except Exception:
                # The work is done: its answer goes out. The claim lapses after IDEMPOTENCY_IN_FLIGHT_SECONDS.
                logger.exception("Could not keep the answer of Idempotency-Key %s", record.pk)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        raw_key = request.META.get(idempotency_keys.META_KEY)
        if raw_key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return None
        key = idempotency_keys.parse_key(raw_key)
        if key is None:
            return json_error_response(
                400, "invalid_idempotency_key", f"An {idempotency_keys.HEADER} is {idempotency_keys.KEY_RULE}."
            )
        view_class = getattr(view_func, "cls", None)
        action = (getattr(view_func, "actions", None) or {}).get("post")
        if view_class is None or not idempotency_keys.takes_idempotency_key(view_class, action):
            return None
        user = _caller(request, view_func)
        if user is None:
            return None
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return json_error_response(
                413, "payload_too_large", "The request body is too large to be kept for an Idempotency-Key."
            )
        outcome, record = services.key_claim(
            user=user, key=key, fingerprint=fingerprint, request_line=f"{request.method} {request.get_full_path()}"
        )
        if outcome is Outcome.CLAIMED:
            request._idempotency_claim = record
            return None
        # Answered here rather than by the view (whose throttle would count it): counted as the person, in the
        # view's class, not as an anonymous address (config/ratelimit.py).
        wait = count_request(request, rate_class=rate_class_of(view_class, request.method), user=user)
        if wait is not None:
            return rate_limited_response(wait)
        return _answer(outcome, record)


def _answer(outcome, record):
    """The answer the middleware gives itself: the replay, 422 for another body, 409 while it still runs."""
    if outcome is Outcome.REPLAY:
        response = HttpResponse(bytes(record.response_body), status=record.status_code)
        for name, value in record.response_headers.items():
            response[name] = value
        response[idempotency_keys.REPLAYED_HEADER] = "true"
        return response
    if outcome is Outcome.REUSED:
        return json_error_response(
            422,
            "idempotency_key_reused",
            f"This {idempotency_keys.HEADER} was used with another request ({record.request_line}, or another "
            "body); use a new key for a new request.",
        )
    response = json_error_response(
        409,
        "idempotency_key_in_flight",
        f"A request with this {idempotency_keys.HEADER} is still running; retry when it has answered.",
    )
    response["Retry-After"] = "1"
    return response


def _keepable(response) -> bool:
    return (
        not response.streaming
        and 200 <= response.status_code < 500
        and response.status_code not in NOT_KEPT_STATUSES
        and not response.cookies
        and "no-store" not in response.get("Cache-Control", "")
    )


def _caller(request, view_func):
    """The authenticated person, by the view's own authentication classes; None when anonymous or refused
    (the view then answers the 401 itself)."""
    view = view_func.cls(**getattr(view_func, "initkwargs", {}))
    try:
        user = Request(request, authenticators=view.get_authenticators()).user
    except APIException:
        return None
    return user if user is not None and user.is_authenticated else None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n{request.content_type}\n".encode())
    boundary = request.content_params.get("boundary", "") if request.content_type.startswith("multipart/") else ""
    normalize = _BoundaryBlind(digest, boundary.encode("latin-1", "replace"))
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.IDEMPOTENCY_MAX_BODY_BYTES:
        raise RequestDataTooBig()
    if not boundary or length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        normalize.feed(request.body)  # Django keeps it for the view; bounded by DATA_UPLOAD_MAX_MEMORY_SIZE
    else:
        # A large upload: hashed as it streams to a temporary file, which the view reads instead of the socket
        # (as Django's ASGI handler gives a view a spooled file).
        spooled = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - the view reads it; closed after the answer
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        request._idempotency_spool = spooled
        while chunk := request.read(CHUNK_BYTES):
            spooled.write(chunk)
            normalize.feed(chunk)
        spooled.seek(0)
        request._stream = spooled
        request._read_started = False
    normalize.close()
    return digest.hexdigest()


class _BoundaryBlind:
    """Feeds bytes to a hash with every ``--<boundary>`` replaced by a stand-in, across chunk edges."""

    def __init__(self, digest, boundary: bytes):
        self.digest = digest
        self.marker = b"--" + boundary if boundary else b""
        self.pending = b""

    def feed(self, chunk: bytes) -> None:
        if not self.marker:
            self.digest.update(chunk)
            return
        *whole, last = (self.pending + chunk).split(self.marker)
        # The end of the last piece may be the start of a marker that the next chunk completes.
        keep = min(len(last), len(self.marker) - 1)
        for piece in whole:
            self.digest.update(piece)
            self.digest.update(BOUNDARY_STAND_IN)
        self.digest.update(last[: len(last) - keep])
        self.pending = last[len(last) - keep :]

    def close(self) -> None:
        self.digest.update(self.pending)
        self.pending = b""
