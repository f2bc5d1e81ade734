"""The embedded default: a developer's machine, nothing to configure (``<repo>/.env`` is read)."""

from .env import env, read_env_file

# Before base reads any value, so the file's count; variables set in the environment still win.
read_env_file(default=True)

from .base import *  # noqa: E402, F403
from .ratelimits import rate_limits  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A hundred times the production defaults: a person iterating on a sign-in form, or a frontend's
# end-to-end suite, is never locked out; the headers still show, so backing off can be tried (or
# set one limit low in .env to see a 429).
RATE_LIMITS = rate_limits(classes=100, guesses=100)
# Eager tasks run inside the request that enqueued them (on commit): a failing email or
# webhook is logged by Celery and retried by the sweepers, never turned into a 500.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
