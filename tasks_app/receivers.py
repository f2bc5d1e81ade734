"""What the tasks app does when something happens in an organization (``organizations.changes``)."""

from functools import partial

from django.db import transaction

from organizations.changes import Action


def reindex_on_language_change(sender, change, **kwargs) -> None:
    """A new ``Organization.language``: once it commits, index the organization's tasks again in it."""
    if change.action == Action.ORGANIZATION_UPDATED and "language" in (change.after or {}):
        from tasks_app.tasks import reindex_search_language

        transaction.on_commit(partial(reindex_search_language.delay, str(change.organization_id)))
