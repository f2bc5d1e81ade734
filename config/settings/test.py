"""Test settings: the embedded default, or PostgreSQL and Redis when their URLs are set."""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .env import env, read_env_file

# Tests never depend on a developer's .env unless DJANGO_READ_DOT_ENV_FILE=true asks for it. Set
# here, the choice also reaches the processes tests start under other settings (workers, servers).
os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "false")
read_env_file(default=False)


def _redis_url_of_this_process(url: str, worker: str) -> str:
    """Under pytest-xdist every process clears the cache between tests (a Redis FLUSHDB): the second and
    later processes (gw1, gw2...) take the databases below the configured one (15 -> 14, 13...)."""
    if not url or not worker.startswith("gw") or worker == "gw0":
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - int(worker[2:])
    if database < 0:
        raise ImproperlyConfigured(f"REDIS_URL's database is too low for pytest-xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{database}"))


if os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _redis_url_of_this_process(
        os.environ["REDIS_URL"], os.environ.get("PYTEST_XDIST_WORKER", "")
    )

from .base import *  # noqa: E402, F403
from .core import default_cache  # noqa: E402
from .logging import logging_config  # noqa: E402
from .ratelimits import rate_limits  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
API_DOCS_ENABLED = True
# The fast tier sends thousands of requests from one address: endpoint classes and the anonymous
# ceiling a hundred times higher (rate-limit tests set their own); the guess limits as in production.
RATE_LIMITS = rate_limits(classes=100)
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="workspace-test-media-"))
# Tests share one Redis with anything else on the machine: keep their keys apart.
CACHES = {"default": default_cache(key_prefix="workspace-test")}
LOGGING = logging_config(root_level="WARNING")
