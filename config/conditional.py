"""Conditional requests (RFC 9110 §13): ``ETag``, ``If-None-Match`` on reads, ``If-Match`` on writes.

**The validator.** A resource's ``ETag`` is strong: the first 32 hex digits of the SHA-256 of the JSON its
``GET`` answers, byte for byte. It is derived from the representation rather than from a version column
(``updated_at``, a counter): every resource of the API has one without a column or a migration per
model; it changes whenever anything the client sees changes, including what is joined in (an assignee's
name, the caller's role in an organization), and never when nothing visible did; and two byte-identical
answers share it, which is what a strong validator promises. The cost is rendering the representation
once more on a conditional write, a few queries, never on a request without ``If-Match``.

**Reads** (``ConditionalGetMiddleware``): every ``GET`` under ``/api/`` that answers 200 with a JSON body
carries its ``ETag`` (a single resource, and a list page too); ``If-None-Match`` naming it (or ``*``)
answers 304 with no body. The view still runs: 304 saves the transfer, not the work.

**Writes** (``PreconditionMixin``, on every view with ``PATCH``, ``PUT`` or ``DELETE``: the organization
base view carries it, so views built on it need nothing): with ``If-Match``, the write runs in a
transaction that first locks the resource's row (``SELECT ... FOR UPDATE``), then renders the resource
as its ``GET`` would, from the row as it is now, and compares. A mismatch answers 412
``precondition_failed`` with the current representation in the envelope (``current``) and its ``ETag``,
so the client can merge and retry. The lock is held until the write commits, so of two editors sending
the same ``If-Match`` the second waits and then sees the first's change: one 412, never two successes.
Locking the row rather than a version column's conditional ``UPDATE`` keeps every service unchanged (the
service writes as it always did, inside the transaction). On SQLite ``FOR UPDATE`` does nothing, but
SQLite runs one writer at a time: the second editor either reads after the first committed (412) or fails
to upgrade its read to a write (503, retryable); never both succeed.

A successful ``PATCH``/``PUT`` answers the new ``ETag``. Writes without ``If-Match`` keep working as
before (last write wins). A route without a ``GET`` (a session, a token, a comment) has no ``ETag``:
``If-Match: *`` passes there, any other value answers 412.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, status

READ_METHODS = ("GET", "HEAD")
WRITE_METHODS = ("PATCH", "PUT", "DELETE")
# What a 304 repeats of the 200 it stands for (RFC 9110 §15.4.5).
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary")


def representation_etag(content: bytes) -> str:
    """The strong ETag of a representation: a quoted SHA-256 prefix of its bytes."""
    return quote_etag(hashlib.sha256(content).hexdigest()[:32])


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def if_none_match_hits(header: str, etag: str) -> bool:
    """``If-None-Match`` names this representation: weak comparison, as RFC 9110 §13.1.2 asks."""
    tags = parse_etags(header)
    return tags == ["*"] or any(_opaque(tag) == etag for tag in tags)


def is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


class ConditionalGetMiddleware:
    """``ETag`` on every JSON 200 answer to a ``GET`` under ``/api/``; 304 when ``If-None-Match`` names it.

    Django's own ``ConditionalGetMiddleware`` would also answer a bare 412 (no envelope) to a read's
    ``If-Match`` and hash every page of the site; this one keeps to the API's JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in READ_METHODS
            or not request.path.startswith("/api/")
            or response.status_code != 200
            or response.streaming
            or response.has_header("ETag")
            or not is_json(response)
        ):
            return response
        etag = representation_etag(response.content)
        response["ETag"] = etag
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match and if_none_match_hits(if_none_match, etag):
            not_modified = HttpResponseNotModified()
            for header in NOT_MODIFIED_HEADERS:
                if header in response:
                    not_modified[header] = response[header]
            not_modified.cookies = response.cookies
            return not_modified
        return response


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = (
        "The resource changed since the ETag given in If-Match: `current` is what it is now; merge and send "
        "again with its ETag."
    )

    def __init__(self, current: "Representation | None"):
        detail = None
        if current is None:
            detail = "This resource has no ETag; only If-Match: * applies to it."
        super().__init__(detail)
        self.current = current


class InvalidIfMatch(exceptions.ParseError):
    default_code = "invalid_if_match"
    default_detail = 'If-Match must be * or ETags in double quotes, as the ETag header gave them ("...").'


@dataclass(frozen=True)
class Representation:
    etag: str
    data: Any


class PreconditionMixin:
    """``If-Match`` on ``PATCH``, ``PUT`` and ``DELETE`` of a DRF view, and the new ``ETag`` after a write.

    The current representation is what this URL's ``GET`` handler answers, run on the same view after the
    row is locked: the ETag compared is the one a ``GET`` gives, by construction. Hooks for views whose
    resource is not ``get_object()`` (``/users/me``, an organization's settings): ``lock_resource``; and
    ``resource_locked`` for a view that keeps objects read before the lock.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method not in WRITE_METHODS or request.META.get("HTTP_IF_MATCH", "*").strip() == "*":
            return super().dispatch(request, *args, **kwargs)  # nothing to compare: nothing to lock
        # The check and the write in one transaction, the row locked from the check to the commit.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, 404, permissions first (RFC 9110 §13.2.1)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # 405 comes first too
        if request.method in WRITE_METHODS and "HTTP_IF_MATCH" in request.META:
            self.check_if_match(request.META["HTTP_IF_MATCH"])

    def check_if_match(self, header: str) -> None:
        tags = parse_etags(header)
        # Django's parser leaves out what it cannot read; a write is refused rather than checked on half a header.
        if not tags or (tags != ["*"] and len(tags) != len(header.split(","))):
            raise InvalidIfMatch()
        if tags == ["*"]:
            return  # the resource exists: the 404 would have come first
        if self.read_handler() is None:
            self.require_resource()  # 404 before 412
            raise PreconditionFailed(None)
        self.lock_resource()
        self.resource_locked()
        current = self.current_representation()
        # Strong comparison (RFC 9110 §8.8.3.2): a weak tag never matches.
        if current is None or current.etag not in tags:
            raise PreconditionFailed(current)

    def read_handler(self):
        """This URL's GET handler (a viewset's route maps it to an action), or None."""
        return getattr(self, "get", None)

    def require_resource(self) -> None:
        """404 when the resource this request names does not exist (a view looks it up in its handler)."""
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)  # a GenericAPIView
        if lookup in self.kwargs:
            self.get_object()

    def lock_resource(self) -> None:
        """Lock the row of the resource this request changes, until the transaction ends."""
        obj = self.get_object()
        lock_row(type(obj), obj.pk)

    def resource_locked(self) -> None:
        """Forget what was read before the lock, so the representation compared is the row as it is now."""

    def current_representation(self) -> Representation | None:
        handler = self.read_handler()
        action = getattr(self, "action", None)
        if action is not None:
            self.action = self.action_map.get("get")  # the read's serializer and permissions, as a GET has them
        try:
            response = handler(self.request, *self.args, **self.kwargs)
        finally:
            if action is not None:
                self.action = action
        if response.status_code != status.HTTP_200_OK or getattr(response, "data", None) is None:
            return None
        return Representation(etag=self.render_etag(response.data), data=response.data)

    def render_etag(self, data) -> str:
        request = self.request
        content = request.accepted_renderer.render(data, request.accepted_media_type, self.get_renderer_context())
        return representation_etag(content)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, PreconditionFailed):
            response.data["current"] = exc.current.data if exc.current else None
            if exc.current:
                response["ETag"] = exc.current.etag
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method in ("PATCH", "PUT")
            and status.is_success(response.status_code)
            and getattr(response, "data", None) is not None
            and self.read_handler() is not None
        ):
            response.add_post_render_callback(_set_etag)
        return response


def _set_etag(response) -> None:
    response["ETag"] = representation_etag(response.content)


def lock_row(model, pk) -> None:
    """``SELECT ... FOR UPDATE`` of one row (nothing on SQLite, which runs one writer at a time)."""
    list(model._base_manager.select_for_update().filter(pk=pk).values_list("pk", flat=True))
