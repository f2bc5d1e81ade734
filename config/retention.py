"""One retention policy: what the project deletes, after how long, in short batches.

The policies are listed once, in order, in the ``RETENTION_POLICIES`` setting
(``config/settings/retention.py``): each names its purge function by dotted path (so ``config``
imports no app), the setting that holds its age, and what it removes. ``manage.py purge`` and the
beat task ``config.tasks.purge`` both run them through ``retention_run``; the table of policies
is in docs/operations.md (Retention).

A purge function is keyword-only, ``purge(*, now, batch_size, dry_run) -> int``: it reads its own
age setting, removes (or with ``dry_run`` only counts) what is past it and returns how many rows or
files it removed. It is built on the two batch helpers below, so that no statement holds locks on
more than ``batch_size`` rows and each batch commits on its own: a purge that stops half way (a
time limit, a deploy) has kept what it did, and the next run goes on from there.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class RetentionPolicy:
    name: str
    purge: Callable[..., int]
    setting: str
    unit: str  # "days" or "hours": what the setting counts
    removes: str  # what the count is of, for the command's output: "sessions", "files"
    description: str  # what is removed, "{age}" standing for the age: "sessions that ended more than {age} ago"

    @property
    def summary(self) -> str:
        """The description with the age it has now, and the setting to change it."""
        age = f"{getattr(settings, self.setting)} {self.unit}"
        return f"{self.description.format(age=age)} ({self.setting})"


@dataclass(frozen=True)
class RetentionResult:
    policy: RetentionPolicy
    removed: int = 0
    error: str = ""


def retention_policies(names: Iterable[str] | None = None) -> list[RetentionPolicy]:
    """The policies of ``RETENTION_POLICIES`` in their order, or only those named (ValueError for an unknown name)."""
    policies = [
        RetentionPolicy(**{**entry, "purge": import_string(entry["purge"])}) for entry in settings.RETENTION_POLICIES
    ]
    if names is None:
        return policies
    known = {policy.name for policy in policies}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"Unknown retention policy: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    return [policy for policy in policies if policy.name in set(names)]


def retention_run(
    *,
    names: Iterable[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[RetentionResult]:
    """Run each policy in turn; one that fails is logged and reported, and the others still run."""
    now = now or timezone.now()
    results = []
    for policy in retention_policies(names):
        try:
            removed = policy.purge(now=now, batch_size=batch_size, dry_run=dry_run)
        except Exception as exc:
            logger.exception("Retention policy %s failed", policy.name)
            results.append(RetentionResult(policy, error=f"{type(exc).__name__}: {exc}"))
        else:
            results.append(RetentionResult(policy, removed=removed))
    return results


def _batches(queryset: models.QuerySet, *, batch_size: int, fields: tuple[str, ...] = ()):
    """Rows of ``queryset`` by ascending primary key, ``batch_size`` at a time (keyset pagination: each
    query starts after the last key seen, so rows already handled are never scanned again)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    queryset = queryset.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page.values("pk", *fields)[:batch_size])
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1]["pk"]


def delete_in_batches(queryset: models.QuerySet, *, batch_size: int, dry_run: bool) -> int:
    """Delete the rows of ``queryset``, ``batch_size`` per transaction; returns how many of its model's rows
    went (rows deleted by cascade are not counted). Each DELETE names its keys and repeats the queryset's
    conditions, so a row that changed since it was read (a notification marked unread) stays."""
    if dry_run:
        return queryset.count()
    label = queryset.model._meta.label
    deleted = 0
    for rows in _batches(queryset, batch_size=batch_size):
        with transaction.atomic():
            deleted += queryset.filter(pk__in=[row["pk"] for row in rows]).delete()[1].get(label, 0)
    return deleted


def delete_files_in_batches(
    queryset: models.QuerySet, *, field: str = "file", batch_size: int, dry_run: bool, **mark
) -> int:
    """Delete from storage the files ``field`` names on the rows of ``queryset``, and clear the field (and set
    ``mark``) on those rows, ``batch_size`` at a time; the rows stay. Returns how many files.

    Files go first: if the UPDATE then fails, the next run finds the row again and deleting a file that is no
    longer there is harmless; the other order could leave a file nothing points to.
    """
    queryset = queryset.exclude(**{field: ""}).exclude(**{f"{field}__isnull": True})
    if dry_run:
        return queryset.count()
    storage = queryset.model._meta.get_field(field).storage
    cleared = 0
    for rows in _batches(queryset, batch_size=batch_size, fields=(field,)):
        for row in rows:
            storage.delete(row[field])
        with transaction.atomic():
            cleared += queryset.filter(pk__in=[row["pk"] for row in rows]).update(**{field: ""}, **mark)
    return cleared
