"""Soft deletes: rows that are deleted with a date and can be restored (tasks, comments, organizations).

A soft-deletable model has ``deleted_at`` and ``deleted_by``, and two managers:

- ``objects``, its **default manager**, shows only the rows not deleted. Every selector, service,
  related manager (``organization.tasks``, ``task.comments``: Django builds them from the default
  manager's class) and the admin go through it, so a deleted row vanishes from every list, count,
  report, search and lookup at once, without each query having to remember a filter.
- ``all_objects`` shows every row: for the trash, restoring, and the retention purge only.

The base manager (which Django uses to follow a foreign key, ``comment.task``, and to cascade a
delete) stays Django's plain one, so a row pointing at a deleted row still reaches it and a purge
deletes everything that depends on what it deletes. The list indexes are partial (``WHERE deleted_at
IS NULL``), and so are unique constraints: a deleted organization's slug can be taken again
(docs/api/trash.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The condition of partial indexes and unique constraints that ignore deleted rows.
ALIVE = Q(deleted_at__isnull=True)
DELETED = Q(deleted_at__isnull=False)


class AliveManager(models.Manager):
    """The rows that are not deleted."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 - a manager, as ruff cannot tell

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def soft_delete(self, *, by, at=None) -> bool:
        """Move this row to the trash by one conditional UPDATE; False if it was already deleted (a
        concurrent request won). The instance takes the new values."""
        at = at or timezone.now()
        if not type(self).objects.filter(pk=self.pk).update(deleted_at=at, deleted_by=by):
            return False
        self.deleted_at, self.deleted_by = at, by
        return True

    def undelete(self) -> None:
        """Bring this row back from the trash (the caller checked it may)."""
        type(self).all_objects.filter(pk=self.pk).update(deleted_at=None, deleted_by=None)
        self.deleted_at, self.deleted_by = None, None
