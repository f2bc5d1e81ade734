"""Test settings: the embedded default, or PostgreSQL and Redis when their URLs are set."""

import tempfile

from .base import *  # noqa: F403
from .base import CACHES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
API_DOCS_ENABLED = True
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="workspace-test-media-"))
# Tests share one Redis with anything else on the machine: keep their keys apart.
CACHES["default"]["KEY_PREFIX"] = "workspace-test"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
