"""Who is acting right now, for the records that keep account of a change (the organization audit log).

``RequestContextMiddleware`` (``config/middleware.py``) keeps the current ``HttpRequest`` in a
context variable for the time of the request; ``request_actor()`` reads it when a record is written,
not when the request arrives, because the credential is known only once DRF has authenticated the
request (DRF's ``Request`` sets ``user`` and ``auth`` on the ``HttpRequest`` it wraps, so the
stored request sees them). A Celery task runs with no request (``config.celery.BaseTask``), even
when it runs eagerly in the request's thread, so work a worker does reads as the system's wherever
it runs.

What it tells apart:

- ``staff``: a request through the Django admin (its URLs' ``admin`` namespace);
- ``token``: a personal access token (a delegated credential, ``config.credentials``, without a client);
- ``oauth_app``: an OAuth access token (a delegated credential that names its ``client_id``);
- ``person``: anything else with a signed-in user (the session JWT, the OAuth consent page);
- ``system``: no request (a worker, a command), or a request with nobody signed in.
"""

import contextlib
import contextvars
from dataclasses import dataclass

from django.db import models
from django_guid import get_guid

from config.credentials import is_delegated
from config.request_meta import client_ip
from config.text import truncate

_current_request: contextvars.ContextVar = contextvars.ContextVar("current_http_request", default=None)


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    TOKEN = "token", "Personal access token"
    OAUTH_APP = "oauth_app", "OAuth application"
    STAFF = "staff", "Staff (admin)"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class RequestActor:
    """Who acts and through what: the person (None for the system), the kind, the credential, the request."""

    kind: str
    user: object | None = None
    credential_id: str = ""
    credential_label: str = ""
    ip: str | None = None
    request_id: str = ""


def current_request():
    """The ``HttpRequest`` being handled in this context, or None (a worker, a command, a test calling a service)."""
    return _current_request.get()


@contextlib.contextmanager
def request_bound(request):
    """Make ``request`` the current one inside the block (None: no request, as in a worker)."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def _is_admin(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


def _signed_in(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_request_id() -> str:
    """The request id of the current context (django-guid's: a web request's, or the one a task runs under), or ""."""
    return truncate(get_guid() or "", 64)


def request_actor() -> RequestActor:
    """Who is acting in the current context (see the module docstring); never raises."""
    request = current_request()
    request_id = current_request_id()
    if request is None:
        return RequestActor(kind=ActorKind.SYSTEM, request_id=request_id)
    user = _signed_in(request)
    ip = client_ip(request)
    if user is None:
        return RequestActor(kind=ActorKind.SYSTEM, ip=ip, request_id=request_id)
    if _is_admin(request):
        return RequestActor(kind=ActorKind.STAFF, user=user, ip=ip, request_id=request_id)
    if is_delegated(request):
        credential = request.auth
        client_id = getattr(credential, "client_id", None)
        return RequestActor(
            kind=ActorKind.OAUTH_APP if client_id else ActorKind.TOKEN,
            user=user,
            credential_id=str(client_id or getattr(credential, "token_id", "") or ""),
            credential_label=truncate(getattr(credential, "label", "") or "", 255),
            ip=ip,
            request_id=request_id,
        )
    return RequestActor(kind=ActorKind.PERSON, user=user, ip=ip, request_id=request_id)
