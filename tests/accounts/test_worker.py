"""A real Celery worker on Redis runs the password-reset email task enqueued by the API."""

import pytest

from devtools.processes import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_password_reset_email_is_sent_by_a_real_worker(api_client, user, celery_worker):
    start = celery_worker()
    start()
    response = api_client.post("/api/v1/auth/password/reset", {"email": user.email})
    assert response.status_code == 202
    files = wait_until(
        lambda: list(celery_worker.outbox.glob("*.log")),
        timeout=60,
        message="the worker did not send the email",
        interval=0.2,
    )
    text = files[0].read_text()
    assert user.email in text
    assert "reset-password?token=" in text
