"""The Celery app: tasks discovered from the apps, late acks, retries with backoff.

It also holds ``RedisTransport``, the broker transport the settings select for a Redis broker,
which keeps a worker alive when Redis goes away while a task runs (see its docstring), and what every
message carries and every run does with it:

- **the request id**: a message published while a request id is current (django-guid's: a web request's, or
  the one a task runs under) carries it in its ``request_id`` header, and the task runs under it, so the log
  lines of a web request, of the import it started and of the webhook deliveries the import triggered share one
  id. A run without one (a beat task, a message from before) gets an id of its own for its lines.
- **the time it was sent** (``sent_at``, seconds since the epoch), for the age of the oldest message of each
  queue (config/queues.py: ``manage.py queues`` and /metrics).

django-guid's Celery integration does the first, but clears the id after every task, and makes a new one for a
task without the header: run eagerly (the embedded default) inside a request, a task would take the request's
id away from the rest of its lines and from its ``X-Request-ID``. Here a run restores the id it found.
"""

import os
import time

import redis.exceptions
from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from kombu.transport import redis as kombu_redis

from config.backoff import retry_delay
from config.request_context import request_bound

REQUEST_ID_HEADER = "request_id"
SENT_AT_HEADER = "sent_at"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class BaseTask(DjangoTask):
    """Default for every task: retry transient failures with the project's one backoff policy.

    Tasks are enqueued after the surrounding transaction commits with
    ``config.jobs.enqueue_on_commit`` (a job row's ``job_enqueue``), so a worker never sees a row that
    was rolled back and a broker outage never fails the request.
    """

    autoretry_for = (ConnectionError, TimeoutError)
    retry_backoff_max = 600
    max_retries = 5

    def __call__(self, *args, **kwargs):
        # A task acts as the system, even run eagerly inside a request (config.request_context).
        with request_bound(None):
            return super().__call__(*args, **kwargs)

    def retry(self, *args, countdown=None, eta=None, **kwargs):
        """Celery's retry; when no wait is given (as by ``autoretry_for``), wait as every job row does."""
        if countdown is None and eta is None:
            countdown = retry_delay(attempts=self.request.retries + 1, base=1, maximum=self.retry_backoff_max)
        return super().retry(*args, countdown=countdown, eta=eta, **kwargs)


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, failing as a lost connection once its connection has been torn down.

    When the worker loses the broker, Celery's consumer tears the connection down
    (``Connection.collect()`` then ``close()``), which detaches the transport from it
    (``transport.client = None``). Channels of that connection still get used afterwards: the
    ``close()`` retries closing a channel that could not be closed while Redis was down, which
    restores the unacknowledged message of the task still running; and that task's late ack, when
    it ends, goes to the channel its message came from. kombu builds the Redis client for either
    from ``transport.client``, so both raised ``AttributeError`` ("'NoneType' object has no
    attribute 'hostname'"), which Celery does not expect from a broker and answers by stopping the
    worker ("Unrecoverable error"); celery/kombu#582 is the same failure on another path.

    Raising a connection error instead lets kombu and Celery do what they do for any broker failure
    at that point: skip the restore, log the ack as failed ("Couldn't ack"), and go on consuming on
    the new connection. The message stays in Redis's unacked set and comes back after the
    visibility timeout; our tasks are safe to run twice.
    """

    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("This channel's broker connection was closed.")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel


app = Celery("config", task_cls=BaseTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.before_task_publish.connect(dispatch_uid="config-stamp-message")
def stamp_message(headers=None, **kwargs):
    from django_guid import get_guid

    if headers is None:
        return
    headers[SENT_AT_HEADER] = time.time()
    request_id = get_guid()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect(dispatch_uid="config-bind-request-id")
def bind_request_id(task=None, **kwargs):
    """The run's request id: the message's; eagerly, the caller's (already current); else a new one."""
    from django_guid.context import guid
    from django_guid.utils import generate_guid

    request_id = task.request.get(REQUEST_ID_HEADER) or (task.request.is_eager and guid.get()) or generate_guid()
    # Always a token, even when the id stays the caller's: a run may set another (a job's own, config.jobs), and
    # its end restores the one it found.
    task.request.request_id_token = guid.set(request_id)


@signals.task_postrun.connect(dispatch_uid="config-unbind-request-id")
def unbind_request_id(task=None, **kwargs):
    from django_guid.context import guid

    token = task.request.get("request_id_token")
    if token is not None:
        guid.reset(token)
        task.request.request_id_token = None


@signals.setup_logging.connect(dispatch_uid="config-worker-logging")
def worker_logging(**kwargs):
    """Workers and beat log as the web does (``LOGGING``: JSON in production, the request id on every line),
    rather than with the format Celery would install on the root logger."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
