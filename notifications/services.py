"""Writes of the notifications app: the outbox ``notification_create()``, delivering, retrying, marking read."""

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from config import metrics
from config.jobs import job_claim, job_failed_attempt, job_finish, truncate_error
from config.retention import DEFAULT_BATCH_SIZE, delete_in_batches
from config.text import truncate
from notifications import channels, webhooks
from notifications.models import (
    DeliveryChannel,
    DeliveryState,
    Notification,
    NotificationDelivery,
    NotificationKind,
)
from notifications.signals import notifications_created

logger = logging.getLogger(__name__)
# Through AUTH_USER_MODEL: notifications reads people, it does not depend on the accounts app.
User = get_user_model()


def _recipient_users(recipients: Iterable) -> list[User]:
    """Users from users or user ids, in the given order, each once."""
    items = [item if isinstance(item, User) else _as_uuid(item) for item in recipients or []]
    ids = [item for item in items if isinstance(item, uuid.UUID)]
    loaded = {user.pk: user for user in User.objects.filter(pk__in=ids)} if ids else {}
    users: dict = {}
    for item in items:
        user = item if isinstance(item, User) else loaded.get(item)
        if user is not None:
            users.setdefault(user.pk, user)
    return list(users.values())


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@transaction.atomic
def notification_create(  # noqa: PLR0913 - one argument per column of the notification, and the per-person ones
    *,
    recipients: Iterable,
    kind: NotificationKind,
    actor: User | None = None,
    title: str,
    body: str = "",
    url: str = "",
    organization_id=None,
    target_type: str = "",
    target_id=None,
    data: dict | None = None,
    personal: Mapping | None = None,
) -> list[Notification]:
    """Notify people of something that happened, inside the transaction of the change (an outbox).

    Writes one in-app notification per recipient (each once, never the actor, never an inactive
    user) and one delivery per channel the recipient has on (email, webhook), in a fixed number
    of queries whatever the number of recipients. Deliveries are enqueued only once the
    transaction commits, so a rolled-back change notifies nobody. ``recipients`` are users or ids.
    ``personal`` maps a recipient's id to what differs for them (``title``, ``body``, ``data``): a
    summary that counts each person's own share of a bulk change, still written at once.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}; expected one of {', '.join(NotificationKind.values)}.")
    actor_id = actor.pk if isinstance(actor, User) else _as_uuid(actor) if actor is not None else None
    users = [user for user in _recipient_users(recipients) if user.pk != actor_id and user.is_active]
    if not users:
        return []
    now = timezone.now()
    own = personal or {}
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                actor_id=actor_id,
                kind=kind,
                title=truncate(
                    own.get(user.pk, {}).get("title", title), Notification._meta.get_field("title").max_length
                ),
                body=own.get(user.pk, {}).get("body", body),
                url=url[: Notification._meta.get_field("url").max_length],
                organization_id=organization_id,
                target_type=target_type,
                target_id=target_id,
                data=own.get(user.pk, {}).get("data", data) or {},
                created_at=now,
            )
            for user in users
        ]
    )
    deliveries = []
    for notification in notifications:
        recipient = notification.recipient
        if recipient.notify_email:
            deliveries.append(NotificationDelivery(notification=notification, channel=DeliveryChannel.EMAIL))
        if recipient.webhook_url:
            deliveries.append(NotificationDelivery(notification=notification, channel=DeliveryChannel.WEBHOOK))
    for delivery in deliveries:
        delivery.created_at = delivery.updated_at = delivery.next_attempt_at = now
    NotificationDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        NotificationDelivery.job_enqueue(delivery.pk)
    notifications_created.send(sender=Notification, notifications=notifications)
    return notifications


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one run of the delivery task did; ``retry_in`` is set when it should run again."""

    state: str
    reason: str = ""
    retry_in: float | None = None


def notification_delivery_attempt(*, delivery_id) -> DeliveryOutcome:
    """Send one delivery once, if it is still to be sent, and record what happened.

    Not one transaction: the claim commits before the email or HTTP request goes out, so no
    database transaction stays open across the network. Transient failures go back to pending
    with ``next_attempt_at`` and a ``retry_in`` for the task; after ``NOTIFICATION_MAX_ATTEMPTS``
    attempts, or at once for a permanent failure, the delivery ends ``failed`` with the reason.
    """
    delivery = job_claim(
        NotificationDelivery,
        delivery_id,
        queryset=NotificationDelivery.objects.select_related("notification__recipient", "notification__actor"),
    )
    if delivery is None:
        current = NotificationDelivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
        return DeliveryOutcome(state=current or "missing", reason="not claimed")
    recipient = delivery.notification.recipient
    retry_after = None
    try:
        if delivery.channel == DeliveryChannel.EMAIL:
            channels.send_email(delivery)
        else:
            user_webhook_secret_ensure(user=recipient)
            channels.send_webhook(delivery)
    except (channels.ChannelUnavailable, webhooks.WebhookBlocked, webhooks.WebhookRejected) as exc:
        job_finish(delivery, DeliveryState.FAILED, last_error=_reason(exc))
        logger.warning("Notification delivery %s failed for good: %s", delivery.pk, exc)
        return _attempted(delivery, DeliveryOutcome(state=DeliveryState.FAILED, reason=_reason(exc)))
    except Exception as exc:
        if isinstance(exc, webhooks.WebhookTransientError):
            retry_after = exc.retry_after
        else:
            logger.warning("Notification delivery %s attempt %s raised", delivery.pk, delivery.attempts, exc_info=True)
        delay = job_failed_attempt(delivery, error=_reason(exc), retry_after=retry_after)
        if delay is None:
            logger.warning("Notification delivery %s failed: %s", delivery.pk, delivery.last_error)
            return _attempted(delivery, DeliveryOutcome(state=DeliveryState.FAILED, reason=delivery.last_error))
        return _attempted(delivery, DeliveryOutcome(state=DeliveryState.PENDING, reason=_reason(exc), retry_in=delay))
    job_finish(delivery, DeliveryState.DELIVERED, delivered_at=timezone.now(), last_error="")
    return _attempted(delivery, DeliveryOutcome(state=DeliveryState.DELIVERED))


def _attempted(delivery: NotificationDelivery, outcome: DeliveryOutcome) -> DeliveryOutcome:
    """Count the attempt by its outcome (``workspace_delivery_attempts_total``, docs/observability.md)."""
    counted = "retry" if outcome.retry_in is not None else outcome.state
    metrics.DELIVERY_ATTEMPTS.inc(system="notifications", channel=delivery.channel, outcome=counted)
    return outcome


def _reason(exc: Exception) -> str:
    """What the receiver or server said: the message alone (the channel's words), bounded."""
    return truncate_error(str(exc) or type(exc).__name__)


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark read; reading again keeps the first time it was read."""
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: User, organization_ids=None) -> int:
    """Mark the user's unread notifications read: only those of ``organization_ids`` when given (a token's)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if organization_ids is not None:
        unread = unread.filter(organization_id__in=organization_ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_delivery_retry(*, delivery_ids: Iterable) -> int:
    """Give failed deliveries a fresh set of attempts (staff, after fixing the cause); enqueued on commit."""
    ids = list(
        NotificationDelivery.objects.select_for_update()
        .filter(pk__in=list(delivery_ids), state=DeliveryState.FAILED)
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    NotificationDelivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, claimed_at=None, heartbeat_at=None, updated_at=now
    )
    for delivery_id in ids:
        NotificationDelivery.job_enqueue(delivery_id)
    return len(ids)


# --- Retention (config/retention.py) ---------------------------------------------------------

FINISHED_DELIVERY_STATES = (DeliveryState.DELIVERED, DeliveryState.FAILED)


def notifications_purge_read(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Delete notifications read more than ``RETENTION_READ_NOTIFICATIONS_DAYS`` ago, with their deliveries, in
    batches; unread ones stay, and so does one with a delivery still to be sent. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_READ_NOTIFICATIONS_DAYS)
    old = Notification.objects.filter(read_at__lt=cutoff).exclude(
        pk__in=NotificationDelivery.objects.exclude(state__in=FINISHED_DELIVERY_STATES).values("notification_id")
    )
    return delete_in_batches(old, batch_size=batch_size, dry_run=dry_run)


def deliveries_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Delete the delivery history: deliveries that ended (delivered or failed) with their last attempt more
    than ``RETENTION_DELIVERIES_DAYS`` ago, in batches; their notifications stay. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DELIVERIES_DAYS)
    old = NotificationDelivery.objects.filter(state__in=FINISHED_DELIVERY_STATES, updated_at__lt=cutoff)
    return delete_in_batches(old, batch_size=batch_size, dry_run=dry_run)


def user_webhook_secret_ensure(*, user: User) -> str:
    """The user's webhook signing secret, made now if a URL was set without one (e.g. in the admin)."""
    if user.webhook_url and not user.webhook_secret:
        User.objects.filter(pk=user.pk, webhook_secret="").update(webhook_secret=webhooks.secret_make())
        user.refresh_from_db(fields=["webhook_secret"])
    return user.webhook_secret
