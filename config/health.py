"""Health endpoints for load balancers and orchestrators.

``/health/live`` answers without touching any dependency (is the process up?);
``/health`` checks the database, the cache and the broker (can it serve?).
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from config.serializers import StrictCharField
from config.views import PublicAPIView


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:  # a health check reports failures; it never raises them
        return {"status": "down", "error": type(exc).__name__}
    result = {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    if detail:
        result.update(detail)
    return result


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def check_broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return None


class LiveView(PublicAPIView):
    needs_no_services = True  # the schema documents no 503 here

    @extend_schema(
        summary="Liveness",
        description="200 while the process runs; touches no database, cache or broker (a container's liveness probe).",
        responses=inline_serializer("Liveness", {"status": StrictCharField()}),
        tags=["health"],
    )
    def get(self, request):
        return Response({"status": "ok"})


HealthCheck = inline_serializer(
    "HealthCheck",
    {"status": StrictCharField(), "latency_ms": serializers.FloatField(required=False)},
)
HealthReport = inline_serializer(
    "HealthReport",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded"]),
        "version": StrictCharField(),
        "environment": StrictCharField(),
        "timestamp": serializers.DateTimeField(),
        "checks": serializers.DictField(child=serializers.DictField()),
    },
)


class HealthView(PublicAPIView):
    @extend_schema(
        summary="Readiness: database, cache and broker",
        description="Checks each, with its latency: 200 when all are up, 503 naming what is down (a load "
        "balancer's readiness probe). Also the version, environment and time.",
        responses={200: HealthReport, 503: HealthReport},
        tags=["health"],
    )
    def get(self, request):
        checks = {"database": _timed(check_database), "cache": _timed(check_cache), "broker": _timed(check_broker)}
        healthy = all(c["status"] == "ok" for c in checks.values())
        body = {
            "status": "ok" if healthy else "degraded",
            "version": settings.APP_VERSION,
            "environment": settings.ENVIRONMENT,
            "timestamp": timezone.now().isoformat(),
            "checks": checks,
        }
        return Response(body, status=200 if healthy else 503)
