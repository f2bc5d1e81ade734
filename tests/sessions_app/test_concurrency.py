"""Real concurrency on PostgreSQL: simultaneous refreshes of one token, each on its own connection."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from sessions_app.models import UserSession
from sessions_app.services import session_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def refresh_concurrently(raw_refresh: str, workers: int) -> list[int]:
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    lock = threading.Lock()

    def run():
        try:
            client = APIClient()
            barrier.wait(timeout=30)
            status = client.post("/api/v1/auth/refresh", {"refresh": raw_refresh}).status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.parametrize("workers", [2, 20])
def test_exactly_one_concurrent_refresh_of_a_token_succeeds(settings, workers):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "refresh": "1000/m"}
    session, tokens = session_create(user=UserFactory())
    statuses = refresh_concurrently(str(tokens["refresh"]), workers)
    assert len(statuses) == workers
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == workers - 1, statuses
    # The losers presented a token that had just been rotated: reuse, so the session ends.
    assert UserSession.objects.get(pk=session.pk).revoked_reason == "refresh_reuse"
