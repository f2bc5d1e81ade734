"""One ``Idempotency-Key`` a person sent with a POST, and the answer it got (docs/api/concurrency.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """Claimed when the first request with the key starts (``completed_at`` empty: in flight), completed with
    its answer, deleted when that answer was a server error, and purged IDEMPOTENCY_KEY_HOURS after it was
    claimed (config/settings/retention.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path with its query and the body (a multipart boundary set aside).
    fingerprint = models.CharField(max_length=64)
    request_line = models.CharField(max_length=2048, help_text="Method and path of the first request.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)
    response_headers = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.request_line})"

    @property
    def in_flight(self) -> bool:
        return self.completed_at is None
