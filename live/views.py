from urllib.parse import urlencode

import redis
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.exceptions import ServiceUnavailable
from config.negotiation import FormatParameterNegotiation
from config.permissions import TokenScope
from live import tickets
from live.bus import EVENT_ID, AsyncSubscription, HistoryGap, SyncSubscription, get_bus
from live.credentials import credential_failure_check
from live.publish import EVENT_TYPES
from live.serializers import StreamTicketSerializer
from live.stream import EventStream, frames_async, frames_sync
from live.viewer import Viewer

LAST_EVENT_ID_HEADER = OpenApiParameter(
    "Last-Event-ID",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The id of the last event received (`<ms>-<seq>`): the stream starts with every kept event "
    "after it. Browsers send it themselves when an `EventSource` reconnects; a value that is not an id is "
    "ignored (the stream starts from now).",
)
LAST_EVENT_ID_QUERY = OpenApiParameter(
    "last_event_id",
    OpenApiTypes.STR,
    required=False,
    pattern=EVENT_ID.pattern,
    description="`Last-Event-ID` as a query parameter, for a new `EventSource` (which cannot set headers); "
    "the header wins when both are given.",
)
BUS_ERRORS = (redis.RedisError, OSError)


def _resume_after(request) -> str | None:
    """The id to resume after: the header (which browsers fill with an id we sent: anything else is
    ignored), else the query parameter (which must be an id; empty: absent, as everywhere in the API)."""
    header = request.headers.get("Last-Event-ID", "").strip()
    if EVENT_ID.match(header):
        return header
    value = request.query_params.get("last_event_id") or None
    if value is not None and not EVENT_ID.match(value):
        raise serializers.ValidationError(
            {"last_event_id": ["Not an event id: give the `id` of an event received (`<ms>-<seq>`)."]},
            code="invalid",
        )
    return value


# Each Server-Sent Event, as OpenAPI 3.2 describes a text/event-stream (and schemathesis checks each).
SSE_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": EVENT_ID.pattern, "description": "Send it back as `Last-Event-ID`."},
        "event": {
            "type": "string",
            "description": "The event's type (`task.created`...), or `reset` or `end` (see the description).",
        },
        "data": {"type": "string", "description": 'JSON: the event, or `{"reason": ...}` for `reset` and `end`.'},
        "retry": {"type": "integer", "description": "Milliseconds to wait before reconnecting."},
    },
}


class EventStreamView(APIView):
    """``GET /events``: the person's live stream (Server-Sent Events)."""

    authentication_classes = [tickets.StreamTicketAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    permission_classes = [IsAuthenticated, TokenScope]
    required_scopes = {"GET": "tasks:read"}
    content_negotiation_class = FormatParameterNegotiation

    @extend_schema(
        operation_id="events_stream",
        tags=["events"],
        summary="The live stream of what changes in your organizations (Server-Sent Events)",
        description=(
            "A `text/event-stream` that stays open: one event per change committed in the organizations "
            "you belong to, as your role and your credential allow ("
            + ", ".join(f"`{t}`" for t in EVENT_TYPES)
            + "). Each event's `id` orders it; reconnect with `Last-Event-ID` to receive what you missed "
            "(kept `EVENTS_HISTORY_SECONDS`; older: an `event: reset` first, reload your data). `event: end` "
            "closes the stream: `session_revoked`, `session_expired`, `token_expired`, `credential_ended`, "
            "`shutdown` or `reconnect`. Authenticate with the `Authorization` header (fetch-based clients) or "
            "a `ticket` (`EventSource`). Delegated credentials need `tasks:read`; import events also need "
            "`org:admin`, export events `reports:read`, member events `members:read`. See docs/api/events.md."
        ),
        parameters=[LAST_EVENT_ID_HEADER, LAST_EVENT_ID_QUERY],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                SSE_EVENT, description="Server-Sent Events, one frame each, until the stream ends."
            )
        },
    )
    def get(self, request):
        resume_after = _resume_after(request)
        bus = get_bus()
        served_async = isinstance(request._request, ASGIRequest)
        subscription = AsyncSubscription() if served_async else SyncSubscription()
        viewer = Viewer.for_request(request)
        try:
            bus.subscribe(subscription)
            try:
                backlog, gap = (bus.history_after(resume_after), False) if resume_after else ([], False)
            except HistoryGap:
                backlog, gap = [], True
        except BUS_ERRORS:
            bus.unsubscribe(subscription)
            raise ServiceUnavailable() from None
        stream = EventStream(
            bus=bus,
            subscription=subscription,
            viewer=viewer,
            credential_failure=credential_failure_check(request),
            backlog=backlog,
            history_gap=gap,
            heartbeat_seconds=settings.EVENTS_HEARTBEAT_SECONDS,
            recheck_seconds=settings.EVENTS_RECHECK_SECONDS,
            max_seconds=None if served_async else settings.EVENTS_WSGI_STREAM_SECONDS,
        )
        try:
            stream.open()
        except BaseException:
            stream.close()
            raise
        if served_async:
            # This request's thread waits, idle, until the stream ends: it gives its connection back now.
            connections.close_all()
        response = StreamingHttpResponse(
            frames_async(stream) if served_async else frames_sync(stream), content_type="text/event-stream"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each frame on at once
        return response


class EventTicketView(APIView):
    """``POST /events/tickets``: a single-use ticket to open the stream from a browser's ``EventSource``."""

    permission_classes = [IsAuthenticated, TokenScope]
    required_scopes: dict = {}  # the person's own session only: a program sends its token in the header
    idempotency_exempt = True  # the answer is a credential (single use): never kept to be replayed

    @extend_schema(
        tags=["events"],
        summary="A ticket to open the live stream from a browser's EventSource",
        description=(
            "`EventSource` cannot send an `Authorization` header, and an access token in a URL ends up in "
            "logs. This answers a short ticket instead: `GET /events?ticket=...` accepts it once, within "
            "`expires_in` seconds; the stream then lasts as long as your session. Your own session only "
            "(a token answers 403 `insufficient_scope`): programs send their token in the header."
        ),
        request=None,
        responses={201: StreamTicketSerializer},
    )
    def post(self, request):
        ticket, lifetime = tickets.ticket_issue(user=request.user, session_id=request.session_id)
        # Absolute: a frontend served from another origin (FRONTEND_URL) hands it to EventSource as it is.
        url = request.build_absolute_uri(f"{reverse('event-stream')}?{urlencode({'ticket': ticket})}")
        body = {"ticket": ticket, "expires_in": lifetime, "url": url}
        return Response(StreamTicketSerializer(body).data, status=status.HTTP_201_CREATED)
