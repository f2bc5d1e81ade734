"""Logs: one console handler, text or JSON, every line carrying the request id."""

from .env import env

# Request ids: taken from X-Request-ID when valid, else made up, and returned on every response.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    # Not django-guid's: it would set Access-Control-Expose-Headers to X-Request-ID alone, after (so over)
    # corsheaders' CORS_EXPOSE_HEADERS, which lists X-Request-ID with the others (Retry-After...).
    "EXPOSE_HEADER": False,
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # production.py defaults it to "json"


def logging_config(*, log_format: str = LOG_FORMAT, root_level: str = LOG_LEVEL) -> dict:
    """``LOGGING`` for a format ("text" or "json") and a root level; the environment modules that
    want others (production's JSON, the tests' quieter root) build theirs with it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"}
        },
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": root_level},
        "loggers": {
            "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
            # Our own error middleware logs unexpected exceptions once, with the request id.
            "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
            "security": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "django_guid": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
    }


LOGGING = logging_config()
