"""An organization's webhook endpoints and the deliveries of its changes to them (job rows, ``config.jobs``)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.jobs import Job


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (Standard Webhooks, signed)"
    DISCORD = "discord", "Discord channel webhook"


class WebhookEndpoint(models.Model):
    """Where an organization's changes are POSTed: a signed Standard Webhooks receiver, or a Discord channel.

    ``secret`` signs every request (``whsec_`` + base64 of 32 random bytes); after a rotation the
    ``previous_secret`` signs as well until ``previous_secret_expires_at``. ``failing_since`` is the
    first failed attempt since the last success: the endpoint is paused once it is older than
    ``ORG_WEBHOOK_PAUSE_AFTER_DAYS``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    kind = models.CharField(max_length=16, choices=EndpointKind.choices, default=EndpointKind.WEBHOOK)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types, or ['*'] for every one.")
    description = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    paused_reason = models.CharField(max_length=500, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "active"], name="org_webhook_endpoint_org_idx")]

    def __str__(self):
        return f"{self.kind} {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(Job):
    """One event sent to one endpoint: a job row. ``event_id`` is the ``webhook-id`` header (the change's
    stable id): the same on every retry and on a redelivery, so receivers drop repeats.

    ``body`` is the exact request body, built when the change happened, so a later edit of the
    resource does not change what is (re)sent; the signature and timestamp are made at each attempt.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    body = models.TextField()
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    redelivery_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first kilobyte of the last answer.")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    job_task = "org_webhooks.tasks.deliver_webhook"
    job_running = DeliveryState.SENDING
    job_failed = DeliveryState.FAILED
    job_max_attempts = "ORG_WEBHOOK_MAX_ATTEMPTS"
    job_stale_after = "NOTIFICATION_SENDING_TIMEOUT"
    job_pending_grace = "NOTIFICATION_PENDING_GRACE_SECONDS"
    # Due rows are sent by ``job_sweep_start``, a few per endpoint in turn (fairness).
    job_sweep_enqueue = False
    # How late the oldest pending delivery is, at each scrape of /metrics: org_webhook_delivery_due_idx serves it.
    job_waiting_since = "next_attempt_at"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="org_webhook_delivery_list_idx"),
            models.Index(fields=["state", "next_attempt_at"], name="org_webhook_delivery_due_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="org_webhook_delivery_hb_idx"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_type} to {self.endpoint_id} ({self.state})"

    @classmethod
    def job_sweep_start(cls, *, limit: int, now) -> int:
        from org_webhooks.services import deliveries_send_due

        return deliveries_send_due(limit=limit, now=now)
