"""What the deployment measures, and where each figure waits for Prometheus (every name: docs/observability.md).

Two kinds of figures, kept two ways:

- **Per web process**: requests (rate, latency and status per route, database queries per request), recorded by
  ``MetricsMiddleware`` in prometheus_client's metrics of the process. Under gunicorn each worker process writes
  them to files in ``PROMETHEUS_MULTIPROC_DIR`` (config/gunicorn.conf.py), which /metrics adds up.
- **Cluster-wide**: the work of Celery workers (task outcomes and durations, import rows, delivery attempts),
  which run as other processes, maybe on other hosts, and come and go with autoscaling. The process that did the
  work adds it to a hash in the broker's Redis (``ClusterCounter``, ``ClusterHistogram``: one pipelined round
  trip), and whichever web process is scraped reads the hashes (config/scrape.py): one scrape target shows the
  whole cluster, totals survive a worker's restart, and nothing has to find the workers. Without a Redis broker
  (the embedded default, tasks run eagerly in the web process) they are ordinary metrics of the process.

A write to Redis that fails is dropped (the work never fails for a figure) and Redis is left alone for
``REDIS_RETRY_SECONDS``, so a broker outage costs a worker one timeout, not one per task.

Labels are bounded: a route is the URL pattern that matched (``/api/v1/organizations/<uuid:organization_id>/tasks``),
never the path; a method outside HTTP's usual ones is ``OTHER``; tasks, kinds and outcomes are the code's own.
"""

import contextlib
import contextvars
import json
import logging
import socket
import threading
import time
from bisect import bisect_left

import redis
from django.conf import settings
from prometheus_client import Counter, Histogram, disable_created_metrics

logger = logging.getLogger(__name__)

# The series a counter has when it is made (``*_created``) only double what every scrape carries.
disable_created_metrics()

METRICS_PATH = "/metrics"
REDIS_KEY_PREFIX = "metrics:"
REDIS_RETRY_SECONDS = 10.0
WORKERS_KEY = f"{REDIS_KEY_PREFIX}workers"
WORKER_HEARTBEAT_SECONDS = 15.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "(unmatched)"

# --- per web process: requests -----------------------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)

HTTP_REQUESTS = Counter(
    "workspace_http_requests", "Requests answered, by method, route and status.", ["method", "route", "status"]
)
HTTP_REQUEST_SECONDS = Histogram(
    "workspace_http_request_duration_seconds",
    "Time from the first middleware to the answer (a stream: to its first byte), by method and route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUEST_QUERIES = Histogram(
    "workspace_http_request_db_queries",
    "Database queries a request ran (its eager tasks included), by method and route.",
    ["method", "route"],
    buckets=QUERY_BUCKETS,
)


class _QueryCount:
    __slots__ = ("count",)

    def __init__(self):
        self.count = 0


_request_queries: contextvars.ContextVar = contextvars.ContextVar("metrics_request_queries", default=None)


def count_query(execute, sql, params, many, context):
    """A database execute wrapper: one more query for the request being handled in this context, if any."""
    counter = _request_queries.get()
    if counter is not None:
        counter.count += 1
    return execute(sql, params, many, context)


def install_query_counter(sender, connection, **kwargs) -> None:
    """On ``connection_created``: count this connection's queries, once (a connection object reconnects, and keeps
    its wrappers). First in the list, so a test's own ``execute_wrapper``, which pops the last, leaves it."""
    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, count_query)


class MetricsMiddleware:
    """Times each request whole, counts its queries, and adds both to its route's figures; answers /metrics.

    First in ``MIDDLEWARE``, so its time includes every other middleware. /metrics is answered here, before the
    host check, the HTTPS redirect and the rate limits: Prometheus scrapes each process by its address over plain
    HTTP from inside the network, and the endpoint guards itself (config/scrape.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # (method, route, status) -> the three series it adds to: prometheus_client's labels() takes a lock
        # and builds a key on every call; a dict lookup here does not.
        self._series: dict[tuple, tuple] = {}

    def __call__(self, request):
        if request.path_info == METRICS_PATH:
            from config.scrape import metrics_response

            return metrics_response(request)
        queries = _QueryCount()
        token = _request_queries.set(queries)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _request_queries.reset(token)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        key = (request.method, match.route if match is not None else UNMATCHED_ROUTE, response.status_code)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _request_series(*key)
        requests, seconds, counted = series
        requests.inc()
        seconds.observe(elapsed)
        counted.observe(queries.count)
        return response


def _request_series(method: str, route: str, status: int) -> tuple:
    method = method if method in METHODS else "OTHER"
    if route != UNMATCHED_ROUTE:
        route = "/" + route.removeprefix("^").removesuffix("$")  # a re_path's regex, read as a path
    return (
        HTTP_REQUESTS.labels(method, route, str(status)),
        HTTP_REQUEST_SECONDS.labels(method, route),
        HTTP_REQUEST_QUERIES.labels(method, route),
    )


# --- cluster-wide: the workers' work -----------------------------------------------------------------------

CLUSTER_METRICS: list["_ClusterMetric"] = []


class _ClusterMetric:
    """A metric kept in Redis, cluster-wide (the module docstring); ``kind`` is Prometheus's type."""

    kind = ""

    def __init__(self, name: str, documentation: str, labelnames: list[str]):
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.key = f"{REDIS_KEY_PREFIX}{name}"
        self._local_metric = None
        CLUSTER_METRICS.append(self)

    def field(self, labels: dict) -> str:
        """The hash field of one series: its label values, as JSON."""
        return json.dumps([str(labels[name]) for name in self.labelnames], separators=(",", ":"))

    def local(self):
        """This process's own metric of the same name, made at its first use (only without a Redis broker, so
        a name is never both a local metric and one read from Redis)."""
        if self._local_metric is None:
            self._local_metric = self.make_local()
        return self._local_metric


class ClusterCounter(_ClusterMetric):
    kind = "counter"

    def inc(self, amount: float = 1, **labels) -> None:
        record((self, labels, amount))

    def make_local(self):
        return Counter(self.name, self.documentation, self.labelnames)

    def write(self, pipe, labels: dict, value: float) -> None:
        pipe.hincrbyfloat(self.key, self.field(labels), value)

    def write_locally(self, labels: dict, value: float) -> None:
        self.local().labels(**labels).inc(value)


class ClusterHistogram(_ClusterMetric):
    """Buckets are kept one by one (``<labels>|<bucket index>``), cumulated when read; with ``|sum``, ``|count``."""

    kind = "histogram"

    def __init__(self, name: str, documentation: str, labelnames: list[str], *, buckets: tuple):
        super().__init__(name, documentation, labelnames)
        self.buckets = tuple(float(bound) for bound in buckets)

    def observe(self, value: float, **labels) -> None:
        record((self, labels, value))

    def make_local(self):
        return Histogram(self.name, self.documentation, self.labelnames, buckets=self.buckets)

    def write(self, pipe, labels: dict, value: float) -> None:
        field = self.field(labels)
        pipe.hincrby(self.key, f"{field}|{bisect_left(self.buckets, value)}", 1)
        pipe.hincrbyfloat(self.key, f"{field}|sum", value)
        pipe.hincrby(self.key, f"{field}|count", 1)

    def write_locally(self, labels: dict, value: float) -> None:
        self.local().labels(**labels).observe(value)


CELERY_TASKS = ClusterCounter(
    "workspace_celery_tasks", "Celery task runs that ended, by task and outcome (Celery's state).", ["task", "outcome"]
)
CELERY_TASK_SECONDS = ClusterHistogram(
    "workspace_celery_task_duration_seconds",
    "How long a task ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
IMPORT_ROWS = ClusterCounter(
    "workspace_import_rows",
    "CSV rows an import committed (validated, and loaded when loading), by kind and phase.",
    ["kind", "phase"],
)
IMPORT_BATCH_SECONDS = ClusterHistogram(
    "workspace_import_batch_duration_seconds",
    "Time from one committed batch of an import to the next (reading, validating, loading), by kind and phase.",
    ["kind", "phase"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
DELIVERY_ATTEMPTS = ClusterCounter(
    "workspace_delivery_attempts",
    "Attempts to deliver a notification or an organization webhook, by system, channel and outcome "
    "(delivered; retry: failed, will be tried again; failed: failed for good).",
    ["system", "channel", "outcome"],
)


class _RedisStore:
    """The broker's Redis, as the cluster-wide figures' store: short timeouts, and left alone for a while after
    a failure."""

    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.resting_until = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.resting_until

    def failed(self, exc: Exception, doing: str) -> None:
        if self.available():
            logger.warning("Metrics: could not %s in Redis (%s); retrying in %.0f s", doing, exc, REDIS_RETRY_SECONDS)
        self.resting_until = time.monotonic() + REDIS_RETRY_SECONDS


_stores: dict[str, _RedisStore] = {}
_stores_lock = threading.Lock()


def cluster_store() -> _RedisStore | None:
    """The Redis the cluster-wide figures live in: the broker's, or None without a Redis broker."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    store = _stores.get(url)
    if store is None:
        with _stores_lock:
            store = _stores.setdefault(url, _RedisStore(url))
    return store


def record(*items) -> None:
    """Add ``(metric, labels, value)`` items to their cluster-wide metrics, in one round trip to Redis."""
    store = cluster_store()
    if store is None:
        for metric, labels, value in items:
            metric.write_locally(labels, value)
        return
    if not store.available():
        return
    try:
        with store.client.pipeline(transaction=False) as pipe:
            for metric, labels, value in items:
                metric.write(pipe, labels, value)
            pipe.execute()
    except redis.RedisError as exc:
        store.failed(exc, "record a figure")


# --- Celery: task outcomes and durations, workers' heartbeats ----------------------------------------------

_task_started: dict[str, float] = {}


def task_started(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


def task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    """On ``task_postrun`` (sent in the process that ran the task, eager or not, whatever the outcome)."""
    started = _task_started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    items = [(CELERY_TASKS, {"task": name, "outcome": (state or "unknown").lower()}, 1)]
    if started is not None:
        items.append((CELERY_TASK_SECONDS, {"task": name}, time.perf_counter() - started))
    record(*items)


def task_revoked(request=None, **kwargs) -> None:
    record((CELERY_TASKS, {"task": getattr(request, "task", None) or "unknown", "outcome": "revoked"}, 1))


class WorkerHeartbeat:
    """A worker's sign of life in Redis every ``WORKER_HEARTBEAT_SECONDS``, with the queues it consumes: /metrics
    counts the workers seen lately per queue (``workspace_celery_workers``), so "no worker serves this queue"
    is one alert, wherever the workers run."""

    def __init__(self, hostname: str, queues: list[str]):
        self.hostname = hostname
        self.queues = sorted(queues)
        self.stopped = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="metrics-worker-heartbeat", daemon=True).start()

    def beat(self) -> None:
        store = cluster_store()
        if store is None or not store.available():
            return
        value = json.dumps({"seen": time.time(), "queues": self.queues})
        try:
            store.client.hset(WORKERS_KEY, self.hostname, value)
        except redis.RedisError as exc:
            store.failed(exc, "record the worker's heartbeat")

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.beat()
            self.stopped.wait(WORKER_HEARTBEAT_SECONDS)


_heartbeat: WorkerHeartbeat | None = None


def worker_ready(sender=None, **kwargs) -> None:
    """On ``worker_ready`` (the worker's main process, its pool started): start the heartbeat."""
    global _heartbeat
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    queues = list(sender.app.amqp.queues.consume_from) if sender is not None else []
    _heartbeat = WorkerHeartbeat(hostname, queues)
    _heartbeat.start()


def worker_shutdown(**kwargs) -> None:
    """On ``worker_shutdown``: stop the heartbeat and say so at once, rather than after the heartbeat ages out."""
    if _heartbeat is None:
        return
    _heartbeat.stopped.set()
    store = cluster_store()
    if store is not None:
        with contextlib.suppress(redis.RedisError):
            store.client.hdel(WORKERS_KEY, _heartbeat.hostname)


def connect_signals() -> None:
    """Called once, by ``ConfigConfig.ready`` (web processes, workers, commands)."""
    from celery import signals
    from django.db.backends.signals import connection_created

    connection_created.connect(install_query_counter, dispatch_uid="metrics-query-counter")
    signals.task_prerun.connect(task_started, dispatch_uid="metrics-task-started")
    signals.task_postrun.connect(task_ended, dispatch_uid="metrics-task-ended")
    signals.task_revoked.connect(task_revoked, dispatch_uid="metrics-task-revoked")
    signals.worker_ready.connect(worker_ready, dispatch_uid="metrics-worker-ready")
    signals.worker_shutdown.connect(worker_shutdown, dispatch_uid="metrics-worker-shutdown")
