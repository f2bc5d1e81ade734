"""/metrics: who may read it, the figures it shows after some traffic, and scrapes with Redis or the database down.

Figures are read as Prometheus reads them (prometheus_client's parser over the answer); counters are compared
before and after, as other tests of the process add to them too.
"""

import importlib
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from config import metrics, scrape
from config.settings import observability
from imports.models import ImportJob
from notifications.services import notification_delivery_attempt
from tests.factories import ImportJobFactory, NotificationDeliveryFactory

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def scraper(settings, client):
    """``scraper()``: the samples of one scrape, ``{(name, frozenset(labels.items())): value}``."""
    settings.METRICS_TOKEN = TOKEN

    def scrape_once():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(response.content.decode())

    return scrape_once


def samples(text: str) -> dict:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def assert_not_found(response):
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "errors": [{"code": "not_found", "message": "Not found.", "field": None}],
    }


# --- access ------------------------------------------------------------------------------------------------


def test_closed_to_everyone_when_neither_a_token_nor_networks_are_set(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert_not_found(client.get("/metrics", REMOTE_ADDR="127.0.0.1"))
    assert_not_found(client.get("/metrics", HTTP_AUTHORIZATION="Bearer "))


def test_the_token_opens_it_and_a_wrong_or_missing_one_does_not(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    assert_not_found(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x"))
    assert_not_found(client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}"))
    assert_not_found(client.get("/metrics"))


def test_an_allowed_network_opens_it_judged_by_the_client_address_the_rate_limits_see(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "fd00::/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="fd00::5").status_code == 200
    assert_not_found(client.get("/metrics", REMOTE_ADDR="192.0.2.1"))
    # Behind one trusted proxy on 10.0.0.2, the client is the one it names: the public is not let in through it.
    settings.TRUSTED_PROXY_COUNT = 1
    assert_not_found(client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 200


def test_it_answers_before_the_host_check_and_only_reads(client, settings):
    settings.METRICS_TOKEN = TOKEN
    authorized = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    # Prometheus scrapes a process by its address, which DJANGO_ALLOWED_HOSTS need not list.
    assert client.get("/metrics", HTTP_HOST="10.4.5.6:8000", **authorized).status_code == 200
    response = client.post("/metrics", **authorized)
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_networks_that_are_not_networks_fail_at_start(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,not-a-network")
    try:
        with pytest.raises(ImproperlyConfigured, match="not-a-network"):
            importlib.reload(observability)
    finally:
        monkeypatch.delenv("METRICS_ALLOWED_NETWORKS")
        importlib.reload(observability)


# --- figures -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_per_route_pattern_with_their_latency_and_queries(scraper, client_as, org):
    client = client_as("admin")
    tasks = f"/api/v1/organizations/{org.organization.id}/trash"
    route = "/api/v1/organizations/<uuid:organization_id>/trash"
    before = scraper()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(tasks).status_code == 200
    first = len(captured)  # now: the next request clears Django's log of queries
    assert client.get(tasks).status_code == 200
    assert client.get("/api/v1/no-such-thing").status_code == 404
    after = scraper()

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("workspace_http_requests_total", method="GET", route=route, status="200") == 2
    assert grew("workspace_http_requests_total", method="GET", route="/api/", status="404") == 1
    assert grew("workspace_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert grew("workspace_http_request_duration_seconds_sum", method="GET", route=route) > 0
    assert grew("workspace_http_request_db_queries_count", method="GET", route=route) == 2
    # The first request ran exactly the queries Django saw; the second, as many or fewer (cached).
    assert first <= grew("workspace_http_request_db_queries_sum", method="GET", route=route) <= 2 * first
    assert not any(str(org.organization.id) in dict(labels).get("route", "") for _name, labels in after)


def test_a_path_no_route_matches_is_counted_as_unmatched(scraper, client):
    before = scraper()
    client.get("/no/such/page")
    after = scraper()
    labels = {"method": "GET", "route": metrics.UNMATCHED_ROUTE, "status": "404"}
    assert (
        value(after, "workspace_http_requests_total", **labels)
        - value(before, "workspace_http_requests_total", **labels)
        == 1
    )


def test_unusual_methods_share_one_label(scraper, client):
    client.generic("PROPFIND", "/health/live")
    labels = {"method": "OTHER", "route": "/health/live"}
    assert value(scraper(), "workspace_http_request_duration_seconds_count", **labels) >= 1


@pytest.mark.django_db
def test_tasks_imports_and_delivery_attempts_appear(scraper, org, upload_tasks_csv):
    from config.tasks import sweep_jobs

    before = scraper()
    sweep_jobs.delay()  # an eager task, as the embedded default runs them
    upload_tasks_csv(rows=3)
    sent = scraper()
    notification_delivery_attempt(delivery_id=NotificationDeliveryFactory(channel="email").pk)
    after = scraper()

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("workspace_celery_tasks_total", task="config.tasks.sweep_jobs", outcome="success") == 1
    assert grew("workspace_celery_task_duration_seconds_count", task="config.tasks.sweep_jobs") == 1
    assert grew("workspace_celery_tasks_total", task="imports.tasks.run_import", outcome="success") == 1
    assert grew("workspace_import_rows_total", kind="tasks", phase="loading") == 3
    assert grew("workspace_import_batch_duration_seconds_count", kind="tasks", phase="loading") == 1
    labels = {"system": "notifications", "channel": "email", "outcome": "delivered"}
    delivered = "workspace_delivery_attempts_total"
    assert value(after, delivered, **labels) - value(sent, delivered, **labels) == 1


@pytest.fixture
def upload_tasks_csv(client_as, org, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(*, rows: int):
        content = "title,status\n" + "".join(f"Task {n},todo\n" for n in range(rows))
        data = {"kind": "tasks", "file": SimpleUploadedFile("tasks.csv", content.encode(), content_type="text/csv")}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("admin").post(
                f"/api/v1/organizations/{org.organization.id}/imports", data, format="multipart"
            )
        assert response.status_code == 202, response.content
        assert ImportJob.objects.get(pk=response.json()["id"]).state == "succeeded"

    return upload


@pytest.mark.django_db
def test_the_oldest_pending_delivery_and_import_are_measured_from_when_they_were_due(scraper):
    now = timezone.now()
    NotificationDeliveryFactory(next_attempt_at=now - timedelta(minutes=10))
    NotificationDeliveryFactory(next_attempt_at=now - timedelta(minutes=3))
    NotificationDeliveryFactory(next_attempt_at=now - timedelta(hours=5), state="delivered")
    NotificationDeliveryFactory(next_attempt_at=now + timedelta(hours=1))  # a retry not yet due
    ImportJobFactory(queued_at=now - timedelta(minutes=2))
    found = scraper()
    assert value(found, "workspace_metrics_database_up") == 1
    oldest = "workspace_job_oldest_pending_seconds"
    assert 600 <= value(found, oldest, model="notifications.notificationdelivery") < 660
    assert 120 <= value(found, oldest, model="imports.importjob") < 180
    assert (oldest, frozenset({"model": "org_webhooks.webhookdelivery"}.items())) in found  # none pending: 0
    assert value(found, oldest, model="org_webhooks.webhookdelivery") == 0


# --- sources down ------------------------------------------------------------------------------------------


def _unreachable_store(monkeypatch):
    store = metrics._RedisStore("redis://127.0.0.1:1/0")
    monkeypatch.setattr(metrics, "cluster_store", lambda: store)
    return store


def test_with_redis_down_a_scrape_answers_what_it_can(scraper, client, monkeypatch):
    client.get("/health/live")
    _unreachable_store(monkeypatch)
    found = scraper()
    assert value(found, "workspace_metrics_redis_up") == 0
    assert value(found, "workspace_http_requests_total", method="GET", route="/health/live", status="200") >= 1


def test_with_redis_down_recording_drops_the_figure_and_rests(monkeypatch, caplog):
    store = _unreachable_store(monkeypatch)
    metrics.CELERY_TASKS.inc(task="t", outcome="success")  # never raises into the work
    assert not store.available()
    assert "could not record a figure" in caplog.text
    metrics.CELERY_TASKS.inc(task="t", outcome="success")  # resting: not even tried
    assert caplog.text.count("could not record") == 1


@pytest.mark.django_db
def test_with_the_database_down_a_scrape_answers_what_it_can(scraper, monkeypatch):
    class Down:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(scrape.transaction, "atomic", Down)
    found = scraper()
    assert value(found, "workspace_metrics_database_up") == 0
    assert not any(name == "workspace_job_oldest_pending_seconds" for name, _labels in found)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_oldest_pending_queries_are_served_by_an_index():
    """One MIN() per job model at each scrape: an index must serve it, whatever the table's size."""
    from config.jobs import job_models

    measured = [model for model in job_models() if model.job_waiting_since]
    assert {model._meta.label_lower for model in measured} == {
        "notifications.notificationdelivery",
        "org_webhooks.webhookdelivery",
        "imports.importjob",
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for model in measured:
            sql, params = (
                model._default_manager.filter(state=model.job_pending)
                .values(model.job_waiting_since)
                .order_by(model.job_waiting_since)[:1]
                .query.sql_with_params()
            )
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan, plan
            assert "Seq Scan" not in plan, plan
