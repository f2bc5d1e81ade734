"""The request id goes from a web request to the task it enqueues and to the deliveries that task enqueues, so
their log lines share it (config/celery.py).

A worker is played here by Celery's own worker request (``celery.worker.request.Request``) executing the message
taken from the broker: the message's headers reach the task as in a worker process, without one.
"""

import logging
import uuid

import pytest
from celery.worker.request import Request
from django.core.files.uploadedfile import SimpleUploadedFile
from django_guid import get_guid, set_guid
from django_guid.log_filters import CorrelationId

from config.celery import REQUEST_ID_HEADER, SENT_AT_HEADER, app
from config.tasks import sweep_jobs
from org_webhooks.models import WebhookDelivery
from tests.factories import WebhookEndpointFactory
from tests.notifications.webhook_server import Answer

REQUEST_ID = uuid.uuid4().hex


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.addFilter(CorrelationId(correlation_id_field="request_id"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def of(self, logger: str, containing: str) -> list[str]:
        """The request ids of the lines of ``logger`` whose message contains ``containing``."""
        return [r.request_id for r in self.records if r.name == logger and containing in r.getMessage()]


@pytest.fixture
def log_lines():
    """Log lines as the console handler sees them (its request-id filter), at INFO for the loggers read here."""
    handler = Lines()
    loggers = [logging.getLogger(name) for name in ("celery.app.trace", "org_webhooks.services")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def broker(monkeypatch):
    """Tasks go to the broker (Redis with REDIS_URL, else kombu's in-memory transport) instead of running
    eagerly; ``broker.run_next(queue)`` executes the next message of ``queue`` as a worker does, starting with no
    request id of its own; the queues it reads are emptied before and after."""
    monkeypatch.setattr(app.conf, "task_always_eager", False)

    def purge():  # the in-memory transport keeps what other tests left in the process
        with app.connection_for_write() as connection:
            for queue in ("celery", "webhooks"):
                connection.default_channel.queue_purge(queue)

    purge()
    yield Broker()
    purge()


class Broker:
    def take(self, queue: str):
        with app.connection_for_read() as connection:
            message = connection.default_channel.basic_get(queue, no_ack=True)
            assert message is not None, f"nothing in {queue}"
            return message

    def run_next(self, queue: str, *, task: str):
        message = self.take(queue)
        while message.headers["task"] != task:
            message = self.take(queue)
        set_guid(None)  # a worker process: nothing carried over but the message
        Request(message, app=app).execute()
        assert get_guid() is None, "the run left its request id behind"
        return message


def upload(client, organization, **extra):
    content = b"title,status\nOne,todo\nTwo,todo\n"
    data = {"kind": "tasks", "file": SimpleUploadedFile("tasks.csv", content, content_type="text/csv")}
    return client.post(f"/api/v1/organizations/{organization.id}/imports", data, format="multipart", **extra)


@pytest.mark.django_db(transaction=True)  # the request commits, and publishes, as in production
@pytest.mark.usefixtures("allow_local_webhooks")
def test_the_web_request_the_import_and_the_webhook_delivery_it_triggers_log_one_request_id(
    client_as, org, broker, log_lines, webhook_server
):
    webhook_server.default = Answer(503)
    WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/in"), events=["*"])

    response = upload(client_as("admin"), org.organization, HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == REQUEST_ID

    message = broker.run_next("celery", task="imports.tasks.run_import")
    assert message.headers[REQUEST_ID_HEADER] == REQUEST_ID
    assert isinstance(message.headers[SENT_AT_HEADER], float)
    assert log_lines.of("celery.app.trace", "imports.tasks.run_import") == [REQUEST_ID]

    assert WebhookDelivery.objects.filter(event_type="import.finished").exists()
    delivery = broker.run_next("webhooks", task="org_webhooks.tasks.deliver_webhook")
    assert delivery.headers[REQUEST_ID_HEADER] == REQUEST_ID
    assert set(log_lines.of("org_webhooks.services", "attempt 1 failed")) == {REQUEST_ID}


def test_a_task_sent_without_a_request_id_runs_under_one_of_its_own(broker, log_lines, db):
    set_guid(None)  # as beat sends: no request
    sweep_jobs.apply_async(queue="celery")
    message = broker.run_next("celery", task="config.tasks.sweep_jobs")
    assert REQUEST_ID_HEADER not in message.headers
    (request_id,) = log_lines.of("celery.app.trace", "config.tasks.sweep_jobs")
    assert request_id
    assert request_id != REQUEST_ID


@pytest.mark.django_db(transaction=True)  # the import runs eagerly inside the request, at its commit
def test_an_eager_task_runs_under_the_request_id_and_leaves_it_to_the_request(client_as, org, log_lines):
    response = upload(client_as("admin"), org.organization, HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response.status_code == 202, response.content
    assert log_lines.of("celery.app.trace", "imports.tasks.run_import") == [REQUEST_ID]
    assert response["X-Request-ID"] == REQUEST_ID


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_local_webhooks")
def test_a_job_sent_again_later_logs_under_the_request_that_made_it(client_as, org, broker, log_lines, webhook_server):
    from org_webhooks.tasks import deliver_webhook

    webhook_server.default = Answer(503)
    WebhookEndpointFactory(organization=org.organization, url=webhook_server.url("/in"), events=["*"])
    upload(client_as("admin"), org.organization, HTTP_X_REQUEST_ID=REQUEST_ID)
    broker.run_next("celery", task="imports.tasks.run_import")
    delivery = WebhookDelivery.objects.get(event_type="import.finished")
    assert delivery.request_id == REQUEST_ID  # the row keeps the id of the work that made it
    broker.take("webhooks")  # the first send, lost

    # The sweep sends it again, from beat: a message with no request id, or another one.
    set_guid(None)
    deliver_webhook.apply_async(args=[str(delivery.pk)], queue="webhooks")
    message = broker.run_next("webhooks", task="org_webhooks.tasks.deliver_webhook")

    assert REQUEST_ID_HEADER not in message.headers
    assert set(log_lines.of("org_webhooks.services", "attempt 1 failed")) == {REQUEST_ID}
