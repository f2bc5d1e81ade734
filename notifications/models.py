"""Notifications of people: the in-app one, and its sending on each outside channel."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from config.jobs import Job


class NotificationKind(models.TextChoices):
    """What happened. A short, stable string: webhooks send it as the event ``type``."""

    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned you"
    STATUS_CHANGED = "status_changed", "Status changed"
    COMMENTED = "commented", "New comment"
    IMPORT_FINISHED = "import_finished", "Import finished"
    IMPORT_SUMMARY = "import_summary", "Import summary"
    TEST = "test", "Test notification"


class Notification(models.Model):
    """One in-app notification of one person; written in the transaction of the change that causes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A frontend path or an absolute URL.")
    # Deleting an organization deletes the notifications about its tasks.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_type = models.CharField(max_length=32, blank=True, help_text='What it is about, e.g. "task".')
    target_id = models.UUIDField(null=True, blank=True)
    # DjangoJSONEncoder: callers may pass UUIDs, dates and decimals as they are.
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox: one person's notifications, unread ones, newest first.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="accounts_notif_inbox_idx"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class NotificationDelivery(Job):
    """Sending one notification on one channel: a job row (``config.jobs``). Its id is the delivery id,
    stable across retries.

    A worker claims the row (``pending`` -> ``sending``) before sending, so a task that runs twice
    sends once; a ``delivered`` row is never sent again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    job_task = "notifications.tasks.deliver_notification"
    job_running = DeliveryState.SENDING
    job_failed = DeliveryState.FAILED
    job_max_attempts = "NOTIFICATION_MAX_ATTEMPTS"
    job_stale_after = "NOTIFICATION_SENDING_TIMEOUT"
    job_pending_grace = "NOTIFICATION_PENDING_GRACE_SECONDS"
    job_retry_base = "NOTIFICATION_RETRY_BASE_SECONDS"
    job_retry_max = "NOTIFICATION_RETRY_MAX_SECONDS"
    # How late the oldest pending delivery is, at each scrape of /metrics: accounts_delivery_due_idx serves it.
    job_waiting_since = "next_attempt_at"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="accounts_delivery_once_per_channel"),
        ]
        indexes = [
            # The beat sweep: pending rows past due, sending rows whose heartbeat stopped.
            models.Index(fields=["state", "next_attempt_at"], name="accounts_delivery_due_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="notif_delivery_heartbeat_idx"),
        ]
        verbose_name_plural = "notification deliveries"

    def __str__(self):
        return f"{self.channel} delivery {self.id} ({self.state})"
