"""/metrics: who may read it, and the figures read when Prometheus asks (docs/observability.md).

**Access.** A request carrying ``METRICS_TOKEN`` (``Authorization: Bearer <token>``), or coming from a network of
``METRICS_ALLOWED_NETWORKS`` (the client's address as the rate limits see it, ``config.request_meta.client_ip``),
is answered; every other one gets the envelope's 404 ``not_found``, as an outsider does at the tenant seam: an
unknown scraper learns nothing, not even that the endpoint exists. Neither set: closed to everyone (local.py
opens it to loopback).

**Figures.** One registry per scrape: the request figures of this process, or of every gunicorn worker
(prometheus_client's multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set), and collectors that read at
scrape time:

- ``BrokerCollector``: one pipelined round trip to the broker's Redis for the cluster-wide figures
  (config/metrics.py), the depth and oldest message of each queue (config/queues.py) and the workers' heartbeats;
- ``PendingJobsCollector``: per job model that names its ``job_waiting_since`` (config/jobs.py), one indexed
  ``MIN()`` over its pending rows: how long the oldest has waited.

A scrape never fails for a source that is down: a collector answers what it can, and
``workspace_metrics_redis_up`` and ``workspace_metrics_database_up`` say whether it could read them.
"""

import contextlib
import hmac
import ipaddress
import json
import logging
import time

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from config import metrics, queues
from config.exceptions import json_error_response
from config.request_meta import client_ip

logger = logging.getLogger(__name__)

# A worker whose last heartbeat is older than this is not counted; older than STALE, it is forgotten.
WORKER_SEEN_SECONDS = 4 * metrics.WORKER_HEARTBEAT_SECONDS
WORKER_STALE_SECONDS = 24 * 3600

# Prometheus's text format, which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


# --- access ------------------------------------------------------------------------------------------------


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def metrics_response(request):
    if not metrics_allowed(request):
        return json_error_response(404, "not_found", "Not found.")
    if request.method not in ("GET", "HEAD"):
        response = json_error_response(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
        response["Allow"] = "GET, HEAD"
        return response
    try:
        body = generate_latest(scrape_registry())
    except Exception:  # a collector's bug: the request figures still go out, never a 500 to the scraper
        logger.exception("Metrics: a collector failed; answering this process's figures only")
        body = generate_latest(scrape_registry(collectors=False))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


# --- the registry ------------------------------------------------------------------------------------------


def scrape_registry(*, collectors: bool = True) -> CollectorRegistry:
    """A registry for one scrape: made each time, as prometheus_client's multiprocess mode asks."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ProcessCollector())
    if collectors:
        registry.register(BrokerCollector())
        registry.register(PendingJobsCollector())
    return registry


class _ProcessCollector:
    """This process's own metrics (a single process: runserver, the test client, an ASGI server)."""

    def describe(self):
        return []

    def collect(self):
        return REGISTRY.collect()


def _source_up(source: str, up: bool) -> GaugeMetricFamily:
    """``workspace_metrics_<source>_up``: a family of its own per source, as each collector yields its own."""
    return GaugeMetricFamily(
        f"workspace_metrics_{source}_up", f"1 if this scrape could read the {source}, 0 if not.", value=1 if up else 0
    )


# --- Redis: cluster-wide figures, queues, workers ----------------------------------------------------------


class BrokerCollector:
    """Everything read from the broker's Redis, in one pipelined round trip."""

    def describe(self):
        return []  # never collect() at registration: that would read Redis

    def collect(self):
        store = metrics.cluster_store()
        if store is None:
            return  # no Redis broker: the cluster-wide figures are this process's own, and there is no queue
        names = [] if _eager() else queues.known_queues()
        try:
            with store.client.pipeline(transaction=False) as pipe:
                for metric in metrics.CLUSTER_METRICS:
                    pipe.hgetall(metric.key)
                pipe.hgetall(metrics.WORKERS_KEY)
                queues.queue_requests(pipe, names)
                replies = pipe.execute()
        except Exception as exc:  # a scrape answers what it can, whatever failed
            logger.warning("Metrics: Redis did not answer the scrape: %s", exc)
            yield _source_up("redis", False)
            return
        yield _source_up("redis", True)
        for metric, values in zip(metrics.CLUSTER_METRICS, replies, strict=False):
            yield _cluster_family(metric, values)
        count = len(metrics.CLUSTER_METRICS)
        yield from self._workers(store, replies[count], names)
        if names:
            yield from _queue_families(*queues.queue_states(names, replies[count + 1 :]))

    def _workers(self, store, heartbeats: dict, names: list[str]):
        family = GaugeMetricFamily(
            "workspace_celery_workers",
            "Celery workers seen in the last minute, by queue they consume.",
            labels=["queue"],
        )
        now = time.time()
        serving = dict.fromkeys(names, 0)
        stale = []
        for hostname, raw in heartbeats.items():
            try:
                beat = json.loads(raw)
            except ValueError:
                continue
            age = now - float(beat.get("seen", 0))
            if age > WORKER_STALE_SECONDS:
                stale.append(hostname)
            elif age <= WORKER_SEEN_SECONDS:
                for queue in beat.get("queues") or []:
                    serving[queue] = serving.get(queue, 0) + 1
        for queue, workers in sorted(serving.items()):
            family.add_metric([queue], workers)
        if stale:
            with contextlib.suppress(redis.RedisError):
                store.client.hdel(metrics.WORKERS_KEY, *stale)
        yield family


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def _cluster_family(metric, values: dict):
    values = {key.decode(): value.decode() for key, value in values.items()}
    if metric.kind == "counter":
        family = CounterMetricFamily(metric.name, metric.documentation, labels=metric.labelnames)
        for field, value in sorted(values.items()):
            family.add_metric(json.loads(field), float(value))
        return family
    family = HistogramMetricFamily(metric.name, metric.documentation, labels=metric.labelnames)
    series: dict[str, dict[str, str]] = {}
    for field, value in values.items():
        labels, _, part = field.rpartition("|")
        series.setdefault(labels, {})[part] = value
    bounds = [*(str(bound) for bound in metric.buckets), "+Inf"]
    for labels, parts in sorted(series.items()):
        cumulative, buckets = 0, []
        for index, bound in enumerate(bounds):
            cumulative += int(parts.get(str(index), 0))
            buckets.append((bound, cumulative))
        family.add_metric(json.loads(labels), buckets, float(parts.get("sum", 0)))
    return family


def _queue_families(states, unacked: int):
    depth = GaugeMetricFamily("workspace_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    age = GaugeMetricFamily(
        "workspace_celery_queue_oldest_message_age_seconds",
        "How long the oldest message of a queue has waited (0 when the queue is empty).",
        labels=["queue"],
    )
    now = time.time()
    for state in states:
        depth.add_metric([state.name], state.depth)
        oldest = state.oldest.age(now) if state.oldest is not None else None
        age.add_metric([state.name], oldest or 0)
    yield depth
    yield age
    yield GaugeMetricFamily(
        "workspace_celery_unacked_messages",
        "Messages workers have taken and not acknowledged yet (running, or waiting for their countdown).",
        value=unacked,
    )


# --- the database: the oldest pending jobs ------------------------------------------------------------------


class PendingJobsCollector:
    def describe(self):
        return []

    def collect(self):
        from config.jobs import job_models

        family = GaugeMetricFamily(
            "workspace_job_oldest_pending_seconds",
            "How long the oldest pending job of a kind has waited past its due time (0: none is waiting).",
            labels=["model"],  # not "job": Prometheus gives every series the job of its scrape
        )
        now = timezone.now()
        try:
            for model in job_models():
                if not model.job_waiting_since:
                    continue
                with transaction.atomic():  # a failure inside a caller's transaction leaves it usable
                    oldest = (
                        model._default_manager.filter(state=model.job_pending)
                        .aggregate(oldest=Min(model.job_waiting_since))
                        .get("oldest")
                    )
                waited = (now - oldest).total_seconds() if oldest is not None else 0
                family.add_metric([model._meta.label_lower], max(0.0, waited))
        except Exception as exc:  # a scrape answers what it can, whatever failed
            logger.warning("Metrics: the database did not answer the scrape: %s", exc)
            yield _source_up("database", False)
            return
        yield _source_up("database", True)
        yield family
