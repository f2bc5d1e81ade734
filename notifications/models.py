"""Notifications of people: the in-app one, and its sending on each outside channel."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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


class NotificationDelivery(models.Model):
    """Sending one notification on one channel. Its id is the delivery id, stable across retries.

    A worker claims the row (``pending`` -> ``sending``) before sending, so a task that runs twice
    sends once; a ``delivered`` row is never sent again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, help_text="When a pending delivery is due.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the current attempt started.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="accounts_delivery_once_per_channel"),
        ]
        indexes = [
            # The beat sweep: pending rows past due, sending rows claimed long ago.
            models.Index(fields=["state", "next_attempt_at"], name="accounts_delivery_due_idx"),
            models.Index(fields=["state", "claimed_at"], name="accounts_delivery_claimed_idx"),
        ]
        verbose_name_plural = "notification deliveries"

    def __str__(self):
        return f"{self.channel} delivery {self.id} ({self.state})"
