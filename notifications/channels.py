"""How one notification reaches a person outside the app: its email, and its webhook payloads.

Each ``send_*`` sends once and raises on failure; retries, bookkeeping and the at-most-once claim
are the delivery service's job (``notifications.services.notification_delivery_attempt``).
"""

import json
import time

from django.conf import settings

from notifications import emails, webhooks
from notifications.models import Notification, NotificationDelivery

DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELD_NAME_MAX = 256
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_FIELDS_MAX = 25
# Discord allows at most 100 ids in allowed_mentions.users.
DISCORD_MENTIONS_MAX = 100


class ChannelUnavailable(Exception):
    """The recipient no longer wants or has this channel (email turned off, webhook removed)."""


def absolute_url(notification: Notification) -> str:
    url = notification.url
    if not url or url.startswith(("https://", "http://")):
        return url
    return f"{settings.FRONTEND_URL.rstrip('/')}/{url.lstrip('/')}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def send_email(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    recipient = notification.recipient
    if not recipient.notify_email or not recipient.is_active:
        raise ChannelUnavailable("The recipient turned email notifications off.")
    emails.send(
        to=recipient.email,
        template="notification",
        context={"user": recipient, "notification": notification, "link": absolute_url(notification)},
    )


def event_payload(delivery: NotificationDelivery) -> dict:
    """The signed JSON event of a generic webhook. ``id`` is the delivery id: receivers dedupe on it."""
    notification = delivery.notification
    actor = notification.actor
    return {
        "id": str(delivery.id),
        "type": notification.kind,
        "created_at": notification.created_at.isoformat(),
        "notification": {
            "id": str(notification.id),
            "kind": notification.kind,
            "title": notification.title,
            "body": notification.body,
            "url": absolute_url(notification),
            "organization_id": str(notification.organization_id) if notification.organization_id else None,
            "target_type": notification.target_type or None,
            "target_id": str(notification.target_id) if notification.target_id else None,
            "actor": (
                {"id": str(actor.id), "username": actor.username, "full_name": actor.full_name} if actor else None
            ),
            "data": notification.data,
            "created_at": notification.created_at.isoformat(),
        },
    }


def discord_message(
    *,
    title: str,
    description: str = "",
    url: str = "",
    timestamp: str,
    footer: str,
    author: str = "",
    fields: list[tuple[str, str]] = (),
    mention_user_ids: list[str] = (),
) -> dict:
    """A Discord execute-webhook body with one embed. Mentions are disabled except the Discord user ids
    given (``<@id>`` in the content, allowed by id): user text must never ping @everyone or anyone else."""
    embed = {"title": _clip(title, DISCORD_TITLE_MAX), "timestamp": timestamp, "footer": {"text": footer}}
    if description:
        embed["description"] = _clip(description, DISCORD_DESCRIPTION_MAX)
    if url.startswith(("https://", "http://")):
        embed["url"] = url
    if author:
        embed["author"] = {"name": _clip(author, DISCORD_TITLE_MAX)}
    if fields:
        embed["fields"] = [
            {
                "name": _clip(name, DISCORD_FIELD_NAME_MAX),
                "value": _clip(value, DISCORD_FIELD_VALUE_MAX),
                "inline": True,
            }
            for name, value in fields[:DISCORD_FIELDS_MAX]
            if value
        ]
    mentions = list(dict.fromkeys(mention_user_ids))[:DISCORD_MENTIONS_MAX]
    pings = " ".join(f"<@{user_id}>" for user_id in mentions)
    content = f"{pings} {title}" if pings else title
    return {
        "content": _clip(content, DISCORD_CONTENT_MAX),
        "embeds": [embed],
        "allowed_mentions": {"parse": [], **({"users": mentions} if mentions else {})},
    }


def discord_payload(delivery: NotificationDelivery) -> dict:
    """Discord's execute-webhook body. Mentions are disabled: user text must not ping @everyone."""
    notification = delivery.notification
    return discord_message(
        title=notification.title,
        description=notification.body,
        url=absolute_url(notification),
        timestamp=notification.created_at.isoformat(),
        footer=notification.get_kind_display(),
        author=notification.actor.get_full_name() if notification.actor else "",
    )


def webhook_request(delivery: NotificationDelivery, *, now: float | None = None) -> tuple[str, bytes, dict[str, str]]:
    """URL, body and headers of this delivery's webhook request (signed unless it goes to Discord)."""
    recipient = delivery.notification.recipient
    url = recipient.webhook_url
    if not url or not recipient.is_active:
        raise ChannelUnavailable("The recipient removed their webhook URL.")
    headers = {webhooks.HEADER_ID: str(delivery.id), webhooks.HEADER_EVENT: delivery.notification.kind}
    if webhooks.is_discord(url):
        return url, json.dumps(discord_payload(delivery)).encode(), headers
    body = json.dumps(event_payload(delivery), separators=(",", ":")).encode()
    timestamp = int(now if now is not None else time.time())
    headers[webhooks.HEADER_TIMESTAMP] = str(timestamp)
    sig = webhooks.signature(secret=recipient.webhook_secret, timestamp=timestamp, body=body)
    headers[webhooks.HEADER_SIGNATURE] = f"{webhooks.SIGNATURE_VERSION}={sig}"
    return url, body, headers


def send_webhook(delivery: NotificationDelivery) -> webhooks.WebhookResponse:
    url, body, headers = webhook_request(delivery)
    return webhooks.post(url=url, body=body, headers=headers)
