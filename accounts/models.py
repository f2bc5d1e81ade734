import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# A handle that can follow "@" in running text without ambiguity: no dots or dashes,
# so "@ana." or "@ana-" end the mention at the punctuation.
USERNAME_PATTERN = r"[A-Za-z0-9_]{2,30}"
username_validator = RegexValidator(
    rf"^{USERNAME_PATTERN}$",
    "Use 2 to 30 letters, digits or underscores.",
    code="invalid_username",
)


def normalize_email(email: str) -> str:
    """Emails sign people in, so one address means one account whatever its case."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, username, password, **extra):
        if not email:
            raise ValueError("An email is required.")
        if not username:
            raise ValueError("A username is required.")
        user = self.model(email=normalize_email(email), username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, username, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, username, password, **extra)

    def create_superuser(self, email, username, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, username, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with email; ``username`` is the public handle used in @mentions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    username = models.CharField(max_length=30, validators=[username_validator])
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # How to reach this person besides in-app notifications, which are always on.
    notify_email = models.BooleanField(default=True, help_text="Send notifications by email.")
    webhook_url = models.URLField(max_length=500, blank=True, help_text="POST notifications to this URL.")
    # Signs webhook requests (HMAC-SHA256); made when a webhook URL is first set, shown to its owner.
    webhook_secret = models.CharField(max_length=100, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Handles are case-insensitive: "@Ana" and "@ana" are one person.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.username


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
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
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
