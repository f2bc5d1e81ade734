"""What operators watch: Prometheus metrics at /metrics and who may read them, and error tracking with Sentry.

Every figure, and how to scrape, alert and act: docs/observability.md.
"""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from .core import APP_VERSION
from .env import env

# /metrics answers a request that carries this token (``Authorization: Bearer <token>``) ...
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# ... or that comes from one of these networks (CIDRs, comma-separated; the client's address as the rate limits
# see it, config/request_meta.py). Neither set: /metrics answers 404 to everyone (local.py opens it to loopback).
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network ({_exc}).") from None
# Under gunicorn every worker process writes its request figures to files here, which /metrics adds up
# (prometheus_client's multiprocess mode); config/gunicorn.conf.py makes a fresh directory when it is not set.
# prometheus_client reads the variable itself; it is read here so /metrics knows which registry to answer from.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# Errors of the web and the workers go to Sentry when this is set (off by default), without personal data
# (config/sentry.py). local.py and production.py start it (sentry_start); the tests never do.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
# Empty: the deployment's ENVIRONMENT.
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default=APP_VERSION)
# Share of requests and tasks traced for performance (0 to 1); 0 sends errors only.
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)


def sentry_start(*, environment: str) -> None:
    """Start error tracking when SENTRY_DSN is set. The environment modules call it last, with their own
    ENVIRONMENT: in the settings rather than in an AppConfig, as the Django and Celery integrations patch
    before the apps load."""
    if not SENTRY_DSN:
        return
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT or environment,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
