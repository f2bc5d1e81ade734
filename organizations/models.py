import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from config.jobs import Job
from config.languages import DEFAULT_SEARCH_LANGUAGE, SEARCH_LANGUAGES
from config.person_cache import PersonRowsQuerySet
from config.softdelete import ALIVE, DELETED, AliveManager, SoftDeletable


class Role(models.IntegerChoices):
    """A member's role. Ordered, so that a check reads ``role >= Role.ADMIN``.

    The database stores the number; the API shows and accepts the label.
    """

    VIEWER = 10, "viewer"
    MEMBER = 20, "member"
    ADMIN = 30, "admin"
    OWNER = 40, "owner"

    @classmethod
    def display_order(cls) -> list["Role"]:
        """Owner first: how people list roles (the schema's enum, a frontend's select)."""
        return sorted(cls, reverse=True)

    @classmethod
    def from_label(cls, label: str) -> "Role":
        for role in cls:
            if role.label == label:
                return role
        raise ValueError(f"Unknown role {label!r}; expected one of {', '.join(cls.labels)}.")


def role_can_manage(actor_role: int | None, target_role: int) -> bool:
    """Owners manage anyone and grant any role; admins only below owner; nobody else manages roles.

    ``target_role`` is the role of the member acted on, or the role being granted.
    """
    if actor_role is None:
        return False
    return actor_role >= Role.OWNER or (actor_role >= Role.ADMIN and target_role < Role.OWNER)


class OrganizationQuerySet(PersonRowsQuerySet):
    person_path = "memberships__user_id"  # its members: which organizations they reach is cached


class Organization(SoftDeletable):
    """A tenant: every task, import and report belongs to exactly one.

    Soft-deleted (``config/softdelete.py``): a deleted organization is gone from ``Organization.objects``
    and its memberships from ``Membership.objects``, so it answers 404 everywhere (its tasks with it),
    until it is restored or, after ``ORGANIZATION_RESTORE_DAYS``, purged with everything in it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    slug = models.SlugField(
        max_length=50, help_text="Unique among organizations not deleted; derived from the name when not given."
    )
    require_mfa = models.BooleanField(
        default=False,
        help_text="Members without a second factor get 403 mfa_required on this organization's endpoints.",
    )
    language = models.CharField(
        max_length=32,
        choices=[(name, name) for name in SEARCH_LANGUAGES],
        default=DEFAULT_SEARCH_LANGUAGE,
        help_text="The language its tasks are written in: search matches their words' stems in it.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AliveManager.from_queryset(OrganizationQuerySet)()
    all_objects = models.Manager.from_queryset(OrganizationQuerySet)()

    class Meta:
        ordering = ["name"]
        default_manager_name = "objects"
        constraints = [
            # A deleted organization's slug is free for a new one (restoring the old one then conflicts).
            models.UniqueConstraint(fields=["slug"], condition=ALIVE, name="organizations_slug_unique_alive"),
        ]
        indexes = [models.Index(fields=["deleted_at"], name="organizations_deleted_idx", condition=DELETED)]

    def __str__(self):
        return self.name


class MembershipQuerySet(PersonRowsQuerySet):
    person_path = "user_id"


class MembershipManager(models.Manager.from_queryset(MembershipQuerySet)):
    """Memberships of organizations that are not deleted: a deleted organization has no members to
    anyone who asks, so every access check (``organizations.selectors``) answers 404 for it."""

    def get_queryset(self):
        return super().get_queryset().filter(organization__deleted_at__isnull=True)


class Membership(models.Model):
    """A user's role in an organization. An organization always keeps at least one owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipManager()
    # With those of deleted organizations: restoring one, purging.
    all_objects = models.Manager.from_queryset(MembershipQuerySet)()

    class Meta:
        ordering = ["organization", "-role", "created_at"]
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="organizations_membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="organizations_membership_role_valid"
            ),
        ]
        indexes = [
            # Counting the owners before a demotion or removal.
            models.Index(fields=["organization", "role"], name="organizations_member_org_role"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"


def hash_token(token: str) -> str:
    """Invitation tokens are stored only as this hash, so a database leak leaks no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(models.Model):
    """An invitation to join an organization, sent by email with a one-time link.

    Pending means neither accepted nor revoked; a pending invitation past ``expires_at`` is
    expired and can be resent (new token, new expiry). Each email is an ``InvitationEmail`` row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254, help_text="Stored lower-case.")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.MEMBER)
    # Null, not "", while no email has been sent: the column is unique.
    token_hash = models.CharField(  # noqa: DJ001
        max_length=64,
        unique=True,
        null=True,
        editable=False,
        help_text="Hash of the link's token, made when its email is sent (so no secret goes through the broker).",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the email for the current token went out; cleared on resend."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="organizations_invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="organizations_invitation_role_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="organizations_inv_org_created"),
        ]

    def __str__(self):
        return f"{self.email} to {self.organization}"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still be expired): it can be resent or revoked."""
        return self.accepted_at is None and self.revoked_at is None


class InvitationEmailState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded", "Superseded (a newer email, or the invitation was closed)"


class InvitationEmail(Job):
    """One email of an invitation's link: a job row (``config.jobs``), made by create and resend.

    The task takes only this row's id; the link's token is made by the worker as it sends, and its
    hash replaces the invitation's, so the raw token never travels through the broker, a lost email
    can be sent again by the sweep (with a new token), and only the last email sent holds a working link.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="emails")
    state = models.CharField(max_length=16, choices=InvitationEmailState.choices, default=InvitationEmailState.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    job_task = "organizations.tasks.invitation_email_send"
    # A failed send waits as a failed notification delivery does.
    job_retry_base = "NOTIFICATION_RETRY_BASE_SECONDS"
    job_retry_max = "NOTIFICATION_RETRY_MAX_SECONDS"
    job_running = InvitationEmailState.SENDING
    job_failed = InvitationEmailState.FAILED

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The beat sweep: pending rows past due, sending rows whose heartbeat stopped.
            models.Index(fields=["state", "next_attempt_at"], name="org_invitation_email_due_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="org_invitation_email_hb_idx"),
        ]

    def __str__(self):
        return f"email of invitation {self.invitation_id} ({self.state})"
