"""A real Celery worker on Redis runs the password-reset email task enqueued by the API."""

import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for_files(folder: Path, timeout: float = 60) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(folder.glob("*.log"))
        if files:
            return files
        time.sleep(0.2)
    return []


def test_password_reset_email_is_sent_by_a_real_worker(api_client, user, celery_worker):
    start = celery_worker()
    start()
    response = api_client.post("/api/v1/auth/password/reset", {"email": user.email})
    assert response.status_code == 202
    files = wait_for_files(celery_worker.outbox)
    assert files, "the worker did not send the email within 60 s"
    text = files[0].read_text()
    assert user.email in text
    assert "reset-password?token=" in text
