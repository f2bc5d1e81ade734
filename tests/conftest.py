import os

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.workers import celery_worker  # noqa: F401 - a fixture for worker-level tests


def _services():
    engine = settings.DATABASES["default"]["ENGINE"]
    return {
        "postgres": engine == "django.db.backends.postgresql",
        "redis": bool(settings.REDIS_URL),
    }


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service is not configured; with TEST_REQUIRE_SERVICES=1 (CI's second run) fail instead."""
    available = _services()
    required = os.environ.get("TEST_REQUIRE_SERVICES") == "1"
    missing = {name for name, up in available.items() if not up}
    if required and missing:
        raise pytest.UsageError(f"TEST_REQUIRE_SERVICES=1 but not configured: {', '.join(sorted(missing))}")
    for item in items:
        for name in missing:
            if name in item.keywords:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs {name} (set {'DATABASE_URL' if name == 'postgres' else 'REDIS_URL'})"
                    )
                )


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
def auth_client(client_for, user):
    return client_for(user)
