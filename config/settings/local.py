"""The embedded default: a developer's machine, nothing to configure (``<repo>/.env`` is read)."""

from .env import env, read_env_file

# Before base reads any value, so the file's count; variables set in the environment still win.
read_env_file(default=True)

from .base import *  # noqa: E402, F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The in-process cache is not shared between processes; fine for one dev server.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# Eager tasks run inside the request that enqueued them (on commit): a failing email or
# webhook is logged by Celery and retried by the sweepers, never turned into a 500.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
