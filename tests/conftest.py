"""Fixtures every test can use, the service skips and the test tiers.

Shared fixtures live here and in the modules of ``pytest_plugins`` (tests/fixtures/); an app's
conftest.py keeps only what belongs to that app. Helpers that are not fixtures (factories,
``make_org_with_roles``) are imported from tests/factories/.

Tiers: ``make test`` runs the fast tier (``-m "not slow"``): no subprocess, no real server, no
sleep. A test in a slow tier is marked ``slow`` plus its tier, here, so a new test is tiered by
where it lives or what it uses: a folder of ``FOLDER_TIERS``, a fixture of ``FIXTURE_TIERS``, or
the tier marker written on it.
"""

import importlib
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from config import ratelimit
from tests.factories import UserFactory

pytest_plugins = [
    "tests.fixtures.mfa",
    "tests.fixtures.organizations",
    "tests.fixtures.processes",
    "tests.fixtures.storage",
    "tests.fixtures.webhooks",
]

TESTS = Path(__file__).parent
SLOW_TIERS = {"worker", "faults", "fuzz", "deployment", "oidc", "mcp", "frontend"}
# Folders whose every test is one slow tier.
FOLDER_TIERS = {"faults": "faults", "fuzz": "fuzz"}
# Fixtures that start processes (tests/fixtures/processes.py): a test using one is in their tier.
FIXTURE_TIERS = {
    "celery_worker": "worker",
    # tests/fixtures/processes.py: moto's S3 server as a process of its own (the multi-host storage drill).
    "moto_server": "worker",
    "run_django": "deployment",
    # tests/sso/conftest.py: a real OpenID Connect provider (Node.js), and the GitHub stand-in server.
    "oidc_provider": "oidc",
    "github_standin": "oidc",
    # tests/mcp_server/test_live.py: /mcp served for real (a server thread) and the MCP Inspector's CLI (Node.js).
    "live_server": "mcp",
}


def _services():
    engine = settings.DATABASES["default"]["ENGINE"]
    return {
        "postgres": engine in ("django.db.backends.postgresql", "config.postgresql"),
        "redis": bool(settings.REDIS_URL),
    }


def _tiers(item) -> set[str]:
    tiers = {mark.name for mark in item.iter_markers() if mark.name in SLOW_TIERS}
    folder = item.path.relative_to(TESTS).parts[0]
    if folder in FOLDER_TIERS:
        tiers.add(FOLDER_TIERS[folder])
    tiers.update(tier for fixture, tier in FIXTURE_TIERS.items() if fixture in item.fixturenames)
    return tiers


# First, so that ``-m`` selects on the tier markers added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the slow tiers; skip tests whose service is not configured (with TEST_REQUIRE_SERVICES=1, fail)."""
    available = _services()
    required = os.environ.get("TEST_REQUIRE_SERVICES") == "1"
    missing = {name for name, up in available.items() if not up}
    if required and missing:
        raise pytest.UsageError(f"TEST_REQUIRE_SERVICES=1 but not configured: {', '.join(sorted(missing))}")
    for item in items:
        tiers = _tiers(item)
        for tier in sorted(tiers):
            item.add_marker(tier)
        if tiers:
            item.add_marker(pytest.mark.slow)
        for name in missing:
            if name in item.keywords:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs {name} (set {'DATABASE_URL' if name == 'postgres' else 'REDIS_URL'})"
                    )
                )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is made from the models (``--no-migrations``); what migrations add by SQL (on PostgreSQL
    pg_trgm, the full-text and trigram indexes of task search; on both, the triggers that keep the versions of
    pages of tasks) is added here the way they add it, so that the tests see the schema a migrated database has."""
    from django.db import connection

    names = ["0008_task_page_versions"]
    if connection.vendor == "postgresql":
        names[:0] = ["0002_search_trigram_indexes", "0007_search_language"]
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for name in names:
            module = importlib.import_module(f"tasks_app.migrations.{name}")
            forward = module.create if hasattr(module, "create") else module.create_indexes
            forward(None, editor)


@pytest.fixture
def computed_pages(settings):
    """Every page of tasks computed, none served from the page cache (tasks_app/page_cache.py): for the tests of
    what computing a page reads, compiles and sends."""
    settings.TASK_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


class StandingClock:
    """A clock that moves only when told: ``clock.advance(seconds)``."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def rate_limit_clock(monkeypatch):
    """The rate limiter's clock stands still for the test, so no limit refills by chance while it runs
    (and the RateLimit fields are exact); a test moves it with ``rate_limit_clock.advance(seconds)``."""
    clock = StandingClock()
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock


@pytest.fixture
def api_client():
    """An anonymous client, as the frontend is before signing in."""
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def client_for(db):
    """A factory of signed-in API clients: ``client_for(user)``."""

    def make(user):
        from sessions_app.services import session_create

        session, tokens = session_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        client.user = user
        client.session_row = session
        client.tokens = {name: str(token) for name, token in tokens.items()}
        return client

    return make


@pytest.fixture
def client_with_token(db):
    """A factory of API clients holding a personal access token (a delegated credential):
    ``client_with_token(user, scopes=["tasks:read"], organizations=[org])``; ``client.token`` is its row."""

    def make(user, *, scopes, organizations):
        from tests.factories import PersonalAccessTokenFactory

        token = PersonalAccessTokenFactory(user=user, scopes=list(scopes), organizations=list(organizations))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
        client.user = user
        client.token = token
        return client

    return make


@pytest.fixture
def auth_client(client_for, user):
    return client_for(user)
