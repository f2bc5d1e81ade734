from django.conf import settings
from django.db import models

from config.request_context import ActorKind


class OrganizationAuditRecord(models.Model):
    """One change to an organization (``organizations.changes.OrganizationChange``), as it was told, with
    who made it, through what and from where. Append-only: written in the transaction of the change,
    never updated; deleted only by retention (``RETENTION_AUDIT_DAYS``) or with its organization.

    The target is kept as text (type, id, label) and the actor's credential by id and name, so a record
    still reads after the task, the member or the token it names is gone.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="audit_records"
    )
    occurred_at = models.DateTimeField()
    action = models.CharField(max_length=64)  # organizations.changes.Action; not choices: new actions need no migration
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    credential_id = models.CharField(
        max_length=64, blank=True, help_text="The personal access token's id, or the OAuth application's client id."
    )
    credential_label = models.CharField(
        max_length=255, blank=True, help_text="The token's or the OAuth application's name."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True, help_text="A task's title, a member's email...")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    change_id = models.UUIDField(unique=True, help_text="The change's stable id (the webhooks' event id).")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "organization audit record"
        indexes = [
            # The cursor: one organization's records, newest first.
            models.Index(fields=["organization", "-occurred_at", "-id"], name="orgaudit_org_occurred_idx"),
            models.Index(fields=["organization", "action", "-occurred_at"], name="orgaudit_org_action_idx"),
            models.Index(fields=["organization", "actor", "-occurred_at"], name="orgaudit_org_actor_idx"),
            models.Index(fields=["organization", "target_type", "target_id"], name="orgaudit_org_target_idx"),
            # Retention.
            models.Index(fields=["occurred_at"], name="orgaudit_occurred_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.target_label or self.target_id} {self.occurred_at:%Y-%m-%d %H:%M}"
