"""The embedded default: a developer's machine, nothing to configure."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The in-process cache is not shared between processes; fine for one dev server.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# Eager tasks run inside the request that enqueued them (on commit): a failing email or
# webhook is logged by Celery and retried by the sweepers, never turned into a 500.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
