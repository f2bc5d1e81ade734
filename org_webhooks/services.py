"""Writes of organization webhooks: endpoints and their secrets, the outbox of deliveries, sending, pausing.

A change of an organization (``organizations.changes``) becomes one delivery row per active endpoint
subscribed to it, in the change's transaction (an outbox), enqueued on commit. A delivery is a job
row (``config.jobs``): claimed once, sent through the SSRF-safe transport (``notifications.webhooks``),
retried on ``ORG_WEBHOOK_RETRY_SCHEDULE``. Endpoints are served fairly: at most
``ORG_WEBHOOK_MAX_IN_FLIGHT`` deliveries of one endpoint are sent at once, and the sweep takes due
deliveries a few per endpoint in turn, so an endpoint with a long backlog never starves another.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from config import metrics
from config.errors import Conflict
from config.jobs import enqueue_on_commit, job_claim, job_finish, job_send, truncate_error
from config.retention import DEFAULT_BATCH_SIZE, delete_in_batches
from config.text import truncate
from notifications import emails, webhooks
from org_webhooks import events, payloads, signing
from org_webhooks.models import DeliveryState, EndpointKind, WebhookDelivery, WebhookEndpoint
from organizations.changes import Action, OrganizationChange, organization_change
from organizations.models import Membership, Organization, Role
from tasks_app.models import Comment, Task

logger = logging.getLogger(__name__)
User = get_user_model()

RESPONSE_BODY_MAX_BYTES = 1024
# Retries due sooner than this wait in the broker (a countdown); later ones are sent by the sweep.
COUNTDOWN_MAX_SECONDS = 30 * 60
# How stale ``last_success_at`` may get before a success writes it again.
SUCCESS_TOUCH_SECONDS = 60
PAUSED_BY_FAILURES = "Every delivery attempt failed for {days} days."


# --- Endpoints --------------------------------------------------------------------------------


def _validate_url(url: str) -> None:
    try:
        webhooks.url_validate(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.message_dict["webhook_url"]}, code="webhook_url_not_allowed") from exc


def _validate_events(values: list[str]) -> list[str]:
    unknown = [value for value in values if value != events.ALL and value not in events.EVENT_TYPES]
    if unknown:
        raise ValidationError(
            {"events": ValidationError(f"Unknown event types: {', '.join(unknown)}.", code="invalid_choice")}
        )
    if not values:
        raise ValidationError({"events": ValidationError("Subscribe to at least one event, or '*'.", code="required")})
    return list(dict.fromkeys(values))


def _public_state(endpoint: WebhookEndpoint) -> dict:
    """What the audit log records of an endpoint: never its secret."""
    return {
        "kind": endpoint.kind,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.active,
    }


@transaction.atomic
def endpoint_create(
    *,
    organization: Organization,
    actor,
    url: str,
    events: list[str],
    kind: str = EndpointKind.WEBHOOK,
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a new secret (``endpoint.secret``: the caller shows it once)."""
    _validate_url(url)
    endpoint = WebhookEndpoint(
        organization=organization,
        kind=kind,
        url=url,
        events=_validate_events(events),
        description=description,
        active=active,
        secret=signing.secret_make(),
        created_by=actor,
    )
    endpoint.full_clean(exclude=["organization", "created_by"])
    endpoint.save()
    organization_change(
        organization_id=organization.pk,
        action=Action.WEBHOOK_CREATED,
        actor=actor,
        target=endpoint,
        after=_public_state(endpoint),
    )
    return endpoint


EDITABLE_FIELDS = ("url", "events", "description", "active", "kind")


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, actor, **changes) -> WebhookEndpoint:
    """Edit an endpoint. ``active=True`` resumes a paused one (its failure streak starts again);
    ``active=False`` pauses it, and its deliveries still waiting end failed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if "url" in changes and changes["url"] != endpoint.url:
        _validate_url(changes["url"])
    if "events" in changes:
        changes["events"] = _validate_events(changes["events"])
    before = _public_state(endpoint)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    now = timezone.now()
    if changes.get("active") is True and not before["active"]:
        endpoint.paused_reason, endpoint.paused_at, endpoint.failing_since = "", None, None
    elif changes.get("active") is False and before["active"]:
        endpoint.paused_reason, endpoint.paused_at = "Paused by an admin.", now
        _fail_waiting(endpoint, "The endpoint was paused.")
    endpoint.full_clean(exclude=["organization", "created_by"])
    endpoint.updated_at = now
    endpoint.save()
    after = _public_state(endpoint)
    changed = [name for name in after if after[name] != before[name]]
    if changed:
        organization_change(
            organization_id=endpoint.organization_id,
            action=Action.WEBHOOK_UPDATED,
            actor=actor,
            target=endpoint,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete an endpoint with its delivery history."""
    before = _public_state(endpoint)
    organization_id, endpoint_id = endpoint.organization_id, endpoint.pk
    endpoint.delete()
    endpoint.pk = endpoint_id
    organization_change(
        organization_id=organization_id, action=Action.WEBHOOK_DELETED, actor=actor, target=endpoint, before=before
    )


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """A new secret (shown once by the caller); the current one keeps signing, as a second signature,
    for ``ORG_WEBHOOK_SECRET_OVERLAP_HOURS``, so receivers can switch without losing an event."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    now = timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(hours=settings.ORG_WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = signing.secret_make()
    endpoint.updated_at = now
    endpoint.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"])
    organization_change(
        organization_id=endpoint.organization_id,
        action=Action.WEBHOOK_SECRET_ROTATED,
        actor=actor,
        target=endpoint,
        after={"previous_secret_expires_at": endpoint.previous_secret_expires_at},
    )
    return endpoint


def endpoint_signing_secrets(endpoint: WebhookEndpoint, *, now=None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one inside its overlap window."""
    now = now or timezone.now()
    secrets_ = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_.append(endpoint.previous_secret)
    return secrets_


def _fail_waiting(endpoint: WebhookEndpoint, reason: str) -> int:
    now = timezone.now()
    return WebhookDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, last_error=reason, updated_at=now
    )


# --- The outbox -------------------------------------------------------------------------------


def _discord_mention_user_ids(change: OrganizationChange) -> set:
    """Ids of the people this change concerns (an assignee, the mentioned), never the actor."""
    target, user_ids = change.target, set()
    if isinstance(target, Task) and change.action in ("task.created", "task.updated"):
        if target.assignee_id and (change.action == "task.created" or "assignee" in (change.after or {})):
            user_ids.add(target.assignee_id)
        if change.action == "task.created":
            user_ids.update(target.mentions.values_list("pk", flat=True))
    elif isinstance(target, Comment):
        user_ids.update(target.mentions.values_list("pk", flat=True))
    user_ids.discard(getattr(change.actor, "pk", None))
    return user_ids


def _discord_mentions(changes: list[OrganizationChange]) -> dict:
    """Each change's id to the Discord ids of the people it concerns, from one query for all of them."""
    wanted = {change.id: _discord_mention_user_ids(change) for change in changes}
    everyone = set().union(*wanted.values())
    discord_ids = (
        dict(
            User.objects.filter(pk__in=everyone, is_active=True)
            .exclude(discord_user_id="")
            .values_list("pk", "discord_user_id")
        )
        if everyone
        else {}
    )
    return {
        change_id: sorted(discord_ids[user_id] for user_id in user_ids if user_id in discord_ids)
        for change_id, user_ids in wanted.items()
    }


def deliveries_create(*, change: OrganizationChange) -> list[WebhookDelivery]:
    """The outbox: one delivery per active endpoint of the organization subscribed to the change, written
    in the change's transaction and enqueued once it commits. The body is built now: a later edit of the
    resource does not change what is sent, on a retry or a redelivery."""
    return deliveries_create_many(changes=[change])


def deliveries_create_many(*, changes: list[OrganizationChange]) -> list[WebhookDelivery]:
    """``deliveries_create`` for many changes at once (a bulk change), in a fixed number of queries per
    organization whatever their number (their targets come with what their payload renders)."""
    by_organization: dict = {}
    for change in changes:
        if change.action in events.EVENT_TYPES:
            by_organization.setdefault(change.organization_id, []).append(change)
    rows = []
    for organization_id, its_changes in by_organization.items():
        endpoints = list(WebhookEndpoint.objects.filter(organization_id=organization_id, active=True))
        wanted = [
            (change, subscribed)
            for change in its_changes
            if (subscribed := [endpoint for endpoint in endpoints if events.subscribed(endpoint.events, change.action)])
        ]
        if not wanted:
            continue
        organization = Organization.objects.get(pk=organization_id)
        to_discord = [
            change for change, subscribed in wanted if any(e.kind == EndpointKind.DISCORD for e in subscribed)
        ]
        mentions = _discord_mentions(to_discord) if to_discord else {}
        for change, subscribed in wanted:
            payload = payloads.envelope(
                event_type=change.action,
                occurred_at=change.occurred_at,
                organization=organization,
                data=payloads.resource(change.target),
            )
            bodies = {EndpointKind.WEBHOOK: payloads.body_bytes(payload)}
            if change.id in mentions:
                actor_name = change.actor.get_full_name() if change.actor is not None else ""
                bodies[EndpointKind.DISCORD] = payloads.body_bytes(
                    payloads.discord(payload=payload, actor_name=actor_name, mention_user_ids=mentions[change.id])
                )
            rows += [(endpoint, bodies[endpoint.kind], change.id, change.action) for endpoint in subscribed]
    return _deliveries_insert(rows)


def _deliveries_write(items, *, event_id, event_type: str, redelivery_of=None) -> list[WebhookDelivery]:
    return _deliveries_insert(
        [(endpoint, body, event_id, event_type) for endpoint, body in items], redelivery_of=redelivery_of
    )


def _deliveries_insert(rows, *, redelivery_of=None) -> list[WebhookDelivery]:
    """Write ``(endpoint, body, event_id, event_type)`` rows as deliveries in one INSERT; enqueued on commit."""
    if not rows:
        return []
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                body=body,
                redelivery_of=redelivery_of,
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
            )
            for endpoint, body, event_id, event_type in rows
        ]
    )
    for delivery in deliveries:
        WebhookDelivery.job_enqueue(delivery.pk)
    return deliveries


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Send a ``webhook.ping`` event to the endpoint now (a delivery like any other, in its history)."""
    if not endpoint.active:
        raise Conflict("The endpoint is paused: resume it (PATCH active=true) before pinging it.")
    now = timezone.now()
    payload = payloads.envelope(
        event_type=events.PING,
        occurred_at=now,
        organization=endpoint.organization,
        data={"endpoint": {"id": str(endpoint.pk)}, "sent_by": getattr(actor, "username", None)},
    )
    if endpoint.kind == EndpointKind.DISCORD:
        payload = payloads.discord(payload=payload, actor_name=actor.get_full_name() if actor else "")
    (delivery,) = _deliveries_write(
        [(endpoint, payloads.body_bytes(payload))], event_id=uuid.uuid4(), event_type=events.PING
    )
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with the same ``webhook-id`` and body."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise Conflict("The endpoint is paused: resume it (PATCH active=true) before redelivering to it.")
    (again,) = _deliveries_write(
        [(endpoint, delivery.body)],
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        redelivery_of=delivery.redelivery_of or delivery,
    )
    return again


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one run of the delivery task did; ``retry_in`` is set when it should run again."""

    state: str
    reason: str = ""
    retry_in: float | None = None


def delivery_request(delivery: WebhookDelivery, *, now: float | None = None) -> tuple[str, bytes, dict[str, str]]:
    """URL, body and headers of one attempt: signed (Standard Webhooks) with every secret that signs now."""
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    timestamp = int(now if now is not None else time.time())
    headers = signing.headers(
        secrets_=endpoint_signing_secrets(endpoint), msg_id=str(delivery.event_id), timestamp=timestamp, body=body
    )
    return endpoint.url, body, headers


def _claim(delivery_id) -> tuple[WebhookDelivery | None, DeliveryOutcome | None]:
    """Claim the delivery unless its endpoint already has ``ORG_WEBHOOK_MAX_IN_FLIGHT`` deliveries in flight
    (then it waits ``ORG_WEBHOOK_BUSY_RETRY_SECONDS``, without spending an attempt). The endpoint's row is
    locked while counting, so two workers cannot both take the last place."""
    with transaction.atomic():
        endpoint_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
        if endpoint_id is None:
            return None, DeliveryOutcome(state="missing", reason="not claimed")
        list(WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).values_list("pk", flat=True))
        now = timezone.now()
        stale = now - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
        in_flight = WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, state=DeliveryState.SENDING, heartbeat_at__gte=stale
        ).count()
        if in_flight >= settings.ORG_WEBHOOK_MAX_IN_FLIGHT:
            wait = settings.ORG_WEBHOOK_BUSY_RETRY_SECONDS
            WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).update(
                next_attempt_at=now + timedelta(seconds=wait), updated_at=now
            )
            return None, DeliveryOutcome(state=DeliveryState.PENDING, reason="endpoint busy", retry_in=wait)
        delivery = job_claim(
            WebhookDelivery, delivery_id, queryset=WebhookDelivery.objects.select_related("endpoint__organization")
        )
    if delivery is None:
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
        return None, DeliveryOutcome(state=current or "missing", reason="not claimed")
    return delivery, None


def delivery_attempt(*, delivery_id) -> DeliveryOutcome:
    """Send one delivery once, if it is still to be sent, and record the answer (status, latency, the
    first kilobyte). Failures retry on ``ORG_WEBHOOK_RETRY_SCHEDULE``; a refused address (SSRF guard)
    fails at once. Not one transaction: nothing stays open across the network."""
    delivery, outcome = _claim(delivery_id)
    if delivery is None:
        return outcome
    endpoint = delivery.endpoint
    if not endpoint.active:
        job_finish(delivery, DeliveryState.FAILED, last_error="The endpoint is paused.")
        return DeliveryOutcome(state=DeliveryState.FAILED, reason="The endpoint is paused.")
    url, body, headers = delivery_request(delivery)
    started = time.perf_counter()
    try:
        response = webhooks.post(url=url, body=body, headers=headers)
    except webhooks.WebhookBlocked as exc:
        return _failed(delivery, exc, started, retry=False)
    except (webhooks.WebhookTransientError, webhooks.WebhookRejected) as exc:
        return _failed(delivery, exc, started, retry=True)
    now = timezone.now()
    job_finish(
        delivery,
        DeliveryState.DELIVERED,
        delivered_at=now,
        last_attempt_at=now,
        last_error="",
        **_answer(response.status, response.body, started),
    )
    _attempted(endpoint, DeliveryState.DELIVERED)
    if (
        endpoint.failing_since is not None
        or endpoint.last_success_at is None
        or (now - endpoint.last_success_at) > timedelta(seconds=SUCCESS_TOUCH_SECONDS)
    ):
        # Not at every success: the row is locked by every claim of the endpoint's deliveries.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None, last_success_at=now)
    return DeliveryOutcome(state=DeliveryState.DELIVERED)


def _answer(status, body: str, started: float) -> dict:
    raw = (body or "").encode()[:RESPONSE_BODY_MAX_BYTES]
    return {
        "response_status": status,
        "response_body": raw.decode("utf-8", "ignore"),
        "latency_ms": round((time.perf_counter() - started) * 1000),
    }


def retry_delay(*, attempts: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after ``attempts`` attempts, or None when they are all spent."""
    schedule = settings.ORG_WEBHOOK_RETRY_SCHEDULE
    if attempts >= len(schedule):
        return None
    delay = float(schedule[attempts])
    if retry_after is not None:  # a receiver's Retry-After, within the schedule's longest wait
        delay = max(delay, min(retry_after, float(max(schedule))))
    return delay


def _failed(delivery: WebhookDelivery, exc: Exception, started: float, *, retry: bool) -> DeliveryOutcome:
    now = timezone.now()
    reason = truncate_error(str(exc) or type(exc).__name__)
    answer = _answer(getattr(exc, "status", None), getattr(exc, "body", ""), started)
    delay = retry_delay(attempts=delivery.attempts, retry_after=getattr(exc, "retry_after", None)) if retry else None
    if delay is None:
        final = reason if not retry else truncate_error(f"Gave up after {delivery.attempts} attempts: {reason}")
        job_finish(delivery, DeliveryState.FAILED, last_error=final, last_attempt_at=now, **answer)
        outcome = DeliveryOutcome(state=DeliveryState.FAILED, reason=final)
    else:
        job_finish(
            delivery,
            DeliveryState.PENDING,
            last_error=reason,
            last_attempt_at=now,
            next_attempt_at=now + timedelta(seconds=delay),
            heartbeat_at=None,
            **answer,
        )
        outcome = DeliveryOutcome(state=DeliveryState.PENDING, reason=reason, retry_in=delay)
    logger.info("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, reason)
    _attempted(delivery.endpoint, "retry" if outcome.retry_in is not None else outcome.state)
    _endpoint_failed(delivery.endpoint, now=now)
    return outcome


def _attempted(endpoint: WebhookEndpoint, outcome: str) -> None:
    """Count an attempt by its outcome (``workspace_delivery_attempts_total``, docs/observability.md)."""
    metrics.DELIVERY_ATTEMPTS.inc(system="org_webhooks", channel=endpoint.kind, outcome=outcome)


def _endpoint_failed(endpoint: WebhookEndpoint, *, now) -> None:
    """Start the endpoint's failure streak, or pause it once the streak is ``ORG_WEBHOOK_PAUSE_AFTER_DAYS`` old."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(days=settings.ORG_WEBHOOK_PAUSE_AFTER_DAYS)
    with transaction.atomic():
        paused = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True, failing_since__lte=cutoff).update(
            active=False,
            paused_at=now,
            paused_reason=PAUSED_BY_FAILURES.format(days=settings.ORG_WEBHOOK_PAUSE_AFTER_DAYS),
            updated_at=now,
        )
        if paused:
            _fail_waiting(endpoint, "The endpoint was paused after failing for too long.")
            from org_webhooks.tasks import send_endpoint_paused_email

            enqueue_on_commit(send_endpoint_paused_email, str(endpoint.pk))
            logger.warning("Webhook endpoint %s paused: every attempt failed since %s", endpoint.pk, cutoff)


def deliveries_due(*, limit: int, now=None) -> list:
    """Ids of the pending deliveries to send now, fairly: at most ``ORG_WEBHOOK_MAX_IN_FLIGHT`` per endpoint,
    the first of every endpoint before the second of any. Due means ``NOTIFICATION_PENDING_GRACE_SECONDS``
    past ``next_attempt_at``, so a delivery whose own message (or countdown) is on its way is left to it."""
    now = now or timezone.now()
    due_before = now - timedelta(seconds=settings.NOTIFICATION_PENDING_GRACE_SECONDS)
    ranked = (
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=due_before, endpoint__active=True
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("endpoint_id")], order_by=F("next_attempt_at").asc()))
        .filter(rank__lte=settings.ORG_WEBHOOK_MAX_IN_FLIGHT)
        .order_by("rank", "next_attempt_at")
    )
    return list(ranked.values_list("pk", flat=True)[:limit])


def deliveries_send_due(*, limit: int, now=None) -> int:
    """The sweep's part (``WebhookDelivery.job_sweep_start``): enqueue the due deliveries, fairly."""
    now = now or timezone.now()
    ids = deliveries_due(limit=limit, now=now)
    WebhookDelivery.objects.filter(pk__in=ids, state=DeliveryState.PENDING).update(next_attempt_at=now)
    return job_send(WebhookDelivery, ids)


def endpoint_paused_email_send(*, endpoint_id) -> int:
    """Tell the organization's admins and owners that the endpoint was paused; returns how many were told."""
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.active:
        return 0
    admins = Membership.objects.filter(
        organization_id=endpoint.organization_id, role__gte=Role.ADMIN, user__is_active=True
    ).select_related("user")
    for membership in admins:
        emails.send(
            to=membership.user.email,
            template="webhook_paused",
            context={
                "user": membership.user,
                "endpoint": endpoint,
                "organization": endpoint.organization,
                "url": truncate(endpoint.url, 120),
            },
        )
    return len(admins)


# --- Retention (config/retention.py) ---------------------------------------------------------


def deliveries_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Delete webhook deliveries that ended (delivered or failed) more than ``RETENTION_DELIVERIES_DAYS``
    ago, in batches; the endpoints stay. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DELIVERIES_DAYS)
    old = WebhookDelivery.objects.filter(
        state__in=(DeliveryState.DELIVERED, DeliveryState.FAILED), updated_at__lt=cutoff
    )
    return delete_in_batches(old, batch_size=batch_size, dry_run=dry_run)
