"""Claiming an Idempotency-Key, keeping its answer, letting it go, and the purge.

Every step is one statement that commits at once (the middleware runs outside the view's transaction), so a
second request with the same key sees the first one's claim while it is still running. The unique
(user, key) constraint decides which of two simultaneous requests claims: the other finds the row.
"""

import enum
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.retention import delete_in_batches
from idempotency.models import IdempotencyKey


class Outcome(enum.Enum):
    CLAIMED = "claimed"  # run the request; then key_complete or key_release
    REPLAY = "replay"  # answer the stored answer
    IN_FLIGHT = "in_flight"  # 409: the first request is still running
    REUSED = "reused"  # 422: the key came with another request


def _lapsed(record: IdempotencyKey, now: datetime) -> bool:
    """A key past its lifetime, or a claim whose request never answered (its worker died), is free again."""
    if record.created_at <= now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS):
        return True
    return record.in_flight and record.created_at <= now - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_SECONDS)


def key_claim(*, user, key: str, fingerprint: str, request_line: str) -> tuple[Outcome, IdempotencyKey]:
    now = timezone.now()
    fields = {"fingerprint": fingerprint, "request_line": request_line[:2048], "created_at": now}
    try:
        with transaction.atomic():
            return Outcome.CLAIMED, IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        pass
    record = IdempotencyKey.objects.filter(user=user, key=key).first()
    if record is None:  # purged in between: as good as new, but another request may be claiming it now
        return Outcome.IN_FLIGHT, IdempotencyKey(user=user, key=key, **fields)
    if _lapsed(record, now):
        # Taken over only if nobody else did since it was read: the claim is the conditional UPDATE.
        taken = IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).update(
            **fields, completed_at=None, status_code=None, response_body=b"", response_headers={}
        )
        if taken:
            record.__dict__.update(fields, completed_at=None, status_code=None, response_body=b"", response_headers={})
            return Outcome.CLAIMED, record
        return Outcome.IN_FLIGHT, record
    if record.fingerprint != fingerprint:
        return Outcome.REUSED, record
    if record.in_flight:
        return Outcome.IN_FLIGHT, record
    return Outcome.REPLAY, record


def key_complete(*, record: IdempotencyKey, status_code: int, body: bytes, headers: dict[str, str]) -> None:
    """Keep the answer of the request that claimed ``record`` (only while the claim is still its own)."""
    IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at, completed_at__isnull=True).update(
        completed_at=timezone.now(), status_code=status_code, response_body=body, response_headers=headers
    )


def key_release(*, record: IdempotencyKey) -> None:
    """Forget a claim whose request failed (a server error, an answer that may not be kept): a retry runs again."""
    IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at, completed_at__isnull=True).delete()


def idempotency_keys_purge(*, now: datetime, batch_size: int, dry_run: bool) -> int:
    """Retention: keys claimed more than IDEMPOTENCY_KEY_HOURS ago, with their answers."""
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    return delete_in_batches(
        IdempotencyKey.objects.filter(created_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run
    )
