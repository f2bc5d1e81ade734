"""Stream tickets: how a browser's ``EventSource`` (which cannot send an ``Authorization`` header) opens
the stream without putting the long-lived access token in a URL.

``POST /events/tickets`` (the person's own session only) answers a ticket: signed, naming the session,
good for one opening of ``GET /events?ticket=...`` within ``EVENTS_TICKET_SECONDS``, and for nothing
else (its own signing salt; only the stream's view accepts it). A ticket in a proxy's log is spent or
expired by the time anyone reads it. The stream it opens lives as long as the session.
"""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from sessions_app import session_state

SALT = "live.stream-ticket"
QUERY_PARAMETER = "ticket"


@dataclass(frozen=True)
class StreamTicket:
    """``request.auth`` of a stream opened with a ticket: the person's own session, as its JWT is."""

    session_id: str


def ticket_issue(*, user, session_id) -> tuple[str, int]:
    """A ticket for ``user``'s session and its lifetime in seconds."""
    payload = {"u": str(user.pk), "s": str(session_id), "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=SALT, compress=False), settings.EVENTS_TICKET_SECONDS


def _spend(nonce: str) -> bool:
    """True the first time a ticket is used (a shared cache: every process of the deployment agrees)."""
    return cache.add(f"live-ticket:{nonce}", time.time(), timeout=settings.EVENTS_TICKET_SECONDS + 5)


class StreamTicketAuthentication(BaseAuthentication):
    """``?ticket=`` on the stream only; the session behind it is checked as its access token's would be.
    A request with an ``Authorization`` header is left to the header's classes."""

    def authenticate(self, request):
        ticket = request.query_params.get(QUERY_PARAMETER)
        if ticket is None or "authorization" in request.headers:
            return None
        try:
            payload = signing.loads(ticket, salt=SALT, max_age=settings.EVENTS_TICKET_SECONDS)
            user_id, session_id, nonce = payload["u"], payload["s"], payload["n"]
        except (signing.BadSignature, KeyError, TypeError):
            raise AuthenticationFailed(
                "This stream ticket is not valid or has expired.", code="invalid_ticket"
            ) from None
        failure = session_state.check(session_id, user_id)
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if failure or user is None:
            raise AuthenticationFailed("This stream ticket's session has ended.", code="session_revoked")
        if not _spend(nonce):
            raise AuthenticationFailed("This stream ticket was already used; ask for a new one.", code="ticket_used")
        request.session_id = session_id
        return user, StreamTicket(session_id=session_id)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class StreamTicketScheme(OpenApiAuthenticationExtension):
    target_class = "live.tickets.StreamTicketAuthentication"
    name = "streamTicket"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "query",
            "name": QUERY_PARAMETER,
            "description": "A stream ticket from `POST /events/tickets`: single use, valid `EVENTS_TICKET_SECONDS`.",
        }
