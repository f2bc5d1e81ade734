import hashlib
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from config.person_cache import PersonRowsQuerySet
from config.secret_keys import digest_matches, keyed_digest, keyed_digests

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


discord_user_id_validator = RegexValidator(
    r"^[0-9]{17,20}\Z", "A Discord user id is 17 to 20 digits (Discord: Copy User ID).", code="invalid_discord_user_id"
)


class UserQuerySet(PersonRowsQuerySet):
    person_path = "pk"


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
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
    # When this person proved they receive mail at ``email`` (a link or code, an invitation accepted,
    # or a provider asserting it); empty until then. Only a verified address can be added to an
    # organization by email.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A new address asked for through PATCH /users/me; it replaces ``email`` only once verified.
    pending_email = models.EmailField(max_length=254, blank=True, default="")
    # Set by DELETE /users/me: the account is deactivated at once and anonymised at this time.
    deletion_scheduled_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # How to reach this person besides in-app notifications, which are always on.
    notify_email = models.BooleanField(default=True, help_text="Send notifications by email.")
    webhook_url = models.URLField(max_length=500, blank=True, help_text="POST notifications to this URL.")
    # Signs webhook requests (HMAC-SHA256); made when a webhook URL is first set, shown to its owner.
    webhook_secret = models.CharField(max_length=100, blank=True, editable=False)
    # Their Discord account (a snowflake id), so an organization's Discord channel pings them when a
    # task is assigned to them or they are mentioned (org_webhooks).
    discord_user_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[discord_user_id_validator],
        help_text="Discord user id (17-20 digits): mentions and assignments ping it in an organization's channel.",
    )

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

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.username


class EmailVerificationPurpose(models.TextChoices):
    VERIFY = "verify", "Verify the account's email"
    CHANGE = "change", "Confirm a new email"


class EmailVerification(models.Model):
    """One email proving that its reader receives mail at ``email``: a one-time link and a short code.

    The row is made by the request (registration, a resend, an email change); the link's token and
    the code are made by the worker as it sends the email (no secret goes through the broker) and
    stored only as hashes. A newer verification of the same user and purpose supersedes this one; a
    code is refused after ``EMAIL_VERIFICATION_CODE_ATTEMPTS`` wrong guesses.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_verifications")
    email = models.EmailField(max_length=254, help_text="The address being verified, stored lower-case.")
    purpose = models.CharField(max_length=16, choices=EmailVerificationPurpose.choices)
    # Null until the email is sent: the column is unique.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Wrong codes given so far.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # POST /auth/email/verify with {email, code}, and superseding a user's open rows.
            models.Index(fields=["email", "-created_at"], name="accounts_emailver_email_idx"),
            models.Index(fields=["user", "purpose"], name="accounts_emailver_user_idx"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()}: {self.email}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.superseded_at is None

    CODE_SALT = "accounts.EmailVerification.code"

    def code_digest(self, code: str) -> str:
        """Keyed by the secret key and this row: six digits are few, so a plain hash of them would be
        reversed at once by whoever reads the table."""
        return keyed_digest(self.CODE_SALT, f"{self.pk}:{code}")

    def code_matches(self, code: str) -> bool:
        """Whether ``code`` is this verification's, under the secret key or one of its fallbacks."""
        return digest_matches(self.code_hash, keyed_digests(self.CODE_SALT, f"{self.pk}:{code}"))


def hash_verification_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
