"""Two requests with one Idempotency-Key at the same moment, each on its own connection (PostgreSQL only: the
``postgres`` marker skips it on the embedded SQLite, whose in-memory test database threads cannot share)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from idempotency.models import IdempotencyKey
from sessions_app.services import session_create
from tasks_app import services as task_services
from tasks_app.models import Task
from tests.factories import make_org_with_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_retry_while_the_first_request_runs_answers_409_then_the_answer_is_replayed(monkeypatch):
    org = make_org_with_roles(name="Retry")
    _, tokens = session_create(user=org.member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    body = {"organization": str(org.id), "title": "Once"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}

    first_is_running, let_first_finish = threading.Event(), threading.Event()
    real = task_services.task_create

    def slow(**kwargs):
        first_is_running.set()
        let_first_finish.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(task_services, "task_create", slow)
    answers = {}

    def first():
        try:
            answers["first"] = client.post("/api/v1/tasks", body, **headers)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_is_running.wait(timeout=30)
        retry = client.post("/api/v1/tasks", body, **headers)  # the claim committed at once: seen here
        assert retry.status_code == 409, retry.content
        assert retry.json()["errors"][0]["code"] == "idempotency_key_in_flight"
    finally:
        let_first_finish.set()
        thread.join(timeout=30)

    assert answers["first"].status_code == 201
    replay = client.post("/api/v1/tasks", body, **headers)
    assert (replay.status_code, replay.content) == (201, answers["first"].content)
    assert replay["Idempotent-Replayed"] == "true"
    assert Task.objects.filter(title="Once").count() == 1
    assert IdempotencyKey.objects.get().status_code == 201
