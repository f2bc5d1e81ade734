"""Error tracking with Sentry: errors of the web and of the workers, each with its request id and the id of the
person who made the request, and nothing else about them (docs/observability.md#sentry).

``send_default_pii=False`` keeps the SDK from adding the user, the client's address and cookies, but not from
sending what an integration gathers anyway: request headers, bodies and query strings, log messages (the
security log names addresses), breadcrumbs of outgoing requests (a Discord webhook's URL is its secret), and the
local variables of every frame (a password being checked, a person's row). ``scrub_event`` is the last word on
every event: what a request says is cut to an allow-list, free text loses addresses, emails and URLs' paths,
breadcrumbs keep their message only, and frames are sent without their variables.

Started by ``config/settings/observability.py`` (``sentry_start``) when ``SENTRY_DSN`` is set; never in tests
but the one that starts it on purpose against a local receiver (tests/config/test_sentry.py).
"""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

# Of a request, only these headers are sent: enough to tell what was asked, nothing that identifies or authorizes.
KEPT_HEADERS = frozenset({"host", "accept", "content-type", "content-length", "x-request-id"})
# Keys whose values the SDK's own scrubber removes wherever they appear (extra, contexts, breadcrumb data).
DENYLIST = [*DEFAULT_DENYLIST, *DEFAULT_PII_DENYLIST, "email", "username", "first_name", "last_name", "ip", "client_ip"]
FILTERED = "[Filtered]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){3,7}[0-9a-fA-F]{0,4}(?![\w:])|::1\b")
# A URL keeps its scheme and host: paths and query strings carry tokens (signed links, Discord webhooks).
_URL = re.compile(r"\b(https?://[^/\s'\"]+)[^\s'\"]*")
# Credentials written out: an Authorization value, a JWT, a personal access token (pats/).
_CREDENTIAL = re.compile(r"(?i)\b(?:bearer|basic)\s+[\w\-.~+/=]+|\beyJ[\w-]+\.[\w-]+\.[\w-]*|\btwp_\w+")


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        # Only the integrations named here: an auto-enabled one (MCP, Redis, HTTP clients) may record what a person
        # sent (a tool's arguments, a cache key with an address) before scrub_event sees it.
        auto_enabling_integrations=False,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        include_local_variables=False,
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=DENYLIST, recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """The event as sent: its request cut down, free text cleaned, the request id and person id as the only
    identifiers (tags ``request_id``, ``user.id``)."""
    _tag_request_id_and_person(event)
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = _scrubbed_request(request)
    if "message" in event:
        event["message"] = scrub_text(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        event["logentry"] = {key: scrub_text(logentry[key]) for key in ("message", "formatted") if key in logentry}
    for exception in (event.get("exception") or {}).get("values") or []:
        if "value" in exception:
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            _scrub_frame(frame)
    _scrub_breadcrumbs_and_spans(event)
    for key in ("extra", "server_name"):
        event.pop(key, None)
    return event


def _scrub_breadcrumbs_and_spans(event: dict) -> None:
    """Their data (URLs, SQL parameters, a log record's extras) goes; their words are cleaned."""
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for item in [*(crumbs or []), *(event.get("spans") or [])]:
        item.pop("data", None)
        for key in ("message", "description"):
            if key in item:
                item[key] = scrub_text(item[key])


def _scrub_frame(frame: dict) -> None:
    """A frame keeps its place and its source lines, cleaned as free text; never its variables."""
    frame.pop("vars", None)
    for key in ("context_line", "pre_context", "post_context"):
        if isinstance(frame.get(key), list):
            frame[key] = [scrub_text(line) for line in frame[key]]
        elif key in frame:
            frame[key] = scrub_text(frame[key])


def scrub_text(value):
    if not isinstance(value, str):
        return value
    value = _EMAIL.sub(FILTERED, value)
    value = _URL.sub(rf"\1/{FILTERED}", value)
    value = _CREDENTIAL.sub(FILTERED, value)
    value = _IPV4.sub(FILTERED, value)
    return _IPV6.sub(FILTERED, value)


def _scrubbed_request(request: dict) -> dict:
    headers = request.get("headers") or {}
    url = request.get("url")
    return {
        "method": request.get("method"),
        "url": url.split("?", 1)[0] if isinstance(url, str) else None,
        "headers": {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS},
    }


def _tag_request_id_and_person(event: dict) -> None:
    """The request id of the work that failed (django-guid's: the web request's, or the one a task carries,
    config/celery.py) and the signed-in person's id, read when the event is made, in the context that made it."""
    from django_guid import get_guid

    from config.request_context import current_request

    request_id = get_guid()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    request = current_request()
    user = getattr(request, "user", None)
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    event["user"] = {"id": str(user_id)} if user_id is not None else {}
