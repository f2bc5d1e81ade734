"""A page of tasks kept until what it shows changes (``GET /tasks``, ``GET /tasks/assigned``).

A list request reads the same page again and again between changes: a frontend polling its list, several tabs,
a team looking at one organization. Computing it is most of a list request's cost (the filter's statements, the
rows read and converted, the serializer, the JSON): docs/performance.md, issue 16's throughput. So the JSON of a
page is kept in the cache, and served again **only while nothing it shows has changed**.

What it shows is its organizations' tasks, their mentions and the names of the people they name. The database
keeps a version of each (``TaskPageVersion``): its triggers (migration 0008) give an organization a new random
version in the very transaction that changes one of its tasks or their mentions or the organization itself, and
the people's row a new one when anyone's username or full name changes. They fire whatever made the change (the
API, the admin, an import's ``COPY``, a bulk ``UPDATE``, a cascade, SQL typed by hand), so no write path can
forget to tell the cache. A request reads the versions of the organizations it reaches (one statement on the
primary key), and its kept page is served only if it was rendered under exactly those versions. The versions are
read *before* the page is computed, so a page is never older than the versions it is kept under: a change that
commits in between gives a page newer than its versions, which the next request, seeing the new ones, replaces.

The key holds everything else a page depends on: the person, the organizations the request reaches (their
memberships, a token's grant, a second factor), the path with its query string (filters, ordering, page), the
media type negotiated, the page's format (``FORMAT``, changed with the serializer), the release and the settings
that shape a page (its size, the count's bound, the time zone). One entry per key: a new
version replaces the page, so the cache holds at most a page per person and URL in use, for
``TASK_PAGE_CACHE_SECONDS`` (0 turns this off).

The cache is an optimisation, never the truth: when it is unreachable, or the triggers are missing (a database
made without migration 0008, or whose triggers a later migration dropped: SQLite rebuilds a table to alter it,
without them; such a migration must create them again, as 0008's ``create`` does), the page is computed as before.
"""

import hashlib
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse

from tasks_app.models import PEOPLE_VERSION_ID

logger = logging.getLogger(__name__)

# Changed whenever a page's JSON changes shape, so that a release never serves the pages the one before rendered.
FORMAT = "1"
TRIGGERS = (
    "tasks_app_task_pages_inserted",
    "tasks_app_task_pages_updated",
    "tasks_app_task_pages_deleted",
    "tasks_app_taskmention_pages_inserted",
    "tasks_app_taskmention_pages_updated",
    "tasks_app_taskmention_pages_deleted",
    "accounts_user_pages_updated",
    "organizations_organization_pages_updated",
    "organizations_organization_pages_deleted",
)
_installed: dict[tuple[str, str], bool] = {}


def installed() -> bool:
    """Whether this database has the triggers that keep the versions (read once per process and database)."""
    name = (connection.vendor, str(connection.settings_dict["NAME"]))
    if name not in _installed:
        catalog = _TRIGGERS_INSTALLED.get(connection.vendor)
        found = 0
        if catalog is not None:
            with connection.cursor() as cursor:
                cursor.execute(catalog, [list(TRIGGERS) if connection.vendor == "postgresql" else json.dumps(TRIGGERS)])
                found = cursor.fetchone()[0]
        _installed[name] = found == len(TRIGGERS)
        if not _installed[name]:
            logger.warning("Pages of tasks are not cached: this database lacks the triggers of tasks_app 0008.")
    return _installed[name]


_TRIGGERS_INSTALLED = {
    "postgresql": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)",
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (SELECT value FROM json_each(%s))",
}
_VERSIONS = 'SELECT "organization_id", "version" FROM "tasks_app_taskpageversion" WHERE "organization_id" '


def versions(organization_ids) -> str:
    """The versions of these organizations' pages and of the people's names, as one text.

    Written by hand: it runs on every list request, and through the ORM, even shaped and bound
    (``config.statements``), it made a page served from the cache a quarter dearer (docs/performance.md, the eighth
    round)."""
    ids = [*sorted(organization_ids), PEOPLE_VERSION_ID]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{_VERSIONS} = ANY(%s) ORDER BY 1", [ids])
        else:  # UUIDs as SQLite keeps them: 32 hex digits
            cursor.execute(f"{_VERSIONS} IN ({', '.join('%s' for _ in ids)}) ORDER BY 1", [pk.hex for pk in ids])
        return " ".join(f"{organization}:{version}" for organization, version in cursor.fetchall())


def _settings_read() -> tuple[str, ...]:
    """The settings a page's JSON depends on, and the release: a page kept by a process before a change of either is
    not served by one after it."""
    return tuple(
        map(
            str,
            (
                settings.APP_VERSION,
                settings.TIME_ZONE,
                settings.API_EXACT_COUNT_LIMIT,
                settings.API_MAX_PAGE_SIZE,
                settings.REST_FRAMEWORK.get("PAGE_SIZE"),
                settings.REST_FRAMEWORK.get("DATETIME_FORMAT"),
            ),
        )
    )


@dataclass(frozen=True)
class KeptPage:
    """The cache entry of one request's page, and the versions it must have been rendered under."""

    key: str
    versions: str
    seconds: int

    @classmethod
    def of(cls, view) -> "KeptPage | None":
        """The entry for a list request of ``view`` (its queryset already scoped), or None when none is kept."""
        seconds = settings.TASK_PAGE_CACHE_SECONDS
        request = view.request
        organization_ids = getattr(view, "scoped_organization_ids", None)
        if not seconds or organization_ids is None or request.accepted_renderer.format != "json" or not installed():
            return None
        described = "\n".join(
            (
                FORMAT,
                *_settings_read(),
                view.action,
                str(request.user.pk),
                ",".join(sorted(map(str, organization_ids))),
                request.accepted_media_type,
                request.get_full_path(),
            )
        )
        key = "task-page:" + hashlib.sha256(described.encode()).hexdigest()
        return cls(key=key, versions=versions(organization_ids), seconds=seconds)

    def response(self) -> HttpResponse | None:
        """The page kept for this request, if it was rendered under the versions of now."""
        try:
            kept = cache.get(self.key)
        except Exception as exc:  # the cache is an optimisation: compute the page
            logger.warning("Page cache unavailable: %s", type(exc).__name__)
            return None
        if kept is None or kept[0] != self.versions:
            return None
        return HttpResponse(kept[2], content_type=kept[1])

    def keep(self, response) -> None:
        """Keep ``response`` (a page answered 200) once it is rendered."""
        if response.status_code == 200:
            response.add_post_render_callback(self._store)

    def _store(self, response) -> None:
        try:
            cache.set(self.key, (self.versions, response["Content-Type"], response.content), self.seconds)
        except Exception as exc:
            logger.warning("Page cache unavailable: %s", type(exc).__name__)
