"""The embedded default: a developer's machine, nothing to configure (``<repo>/.env`` is read)."""

from urllib.parse import urlsplit

from .env import env, read_env_file

# Before base reads any value, so the file's count; variables set in the environment still win.
read_env_file(default=True)

from .base import *  # noqa: E402, F403
from .notifications import FRONTEND_URL  # noqa: E402
from .ratelimits import rate_limits  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A hundred times the production defaults: a person iterating on a sign-in form, or a frontend's
# end-to-end suite, is never locked out; the headers still show, so backing off can be tried (or
# set one limit low in .env to see a 429).
RATE_LIMITS = rate_limits(classes=100, guesses=100)
# Eager tasks run inside the request that enqueued them (on commit): a failing email or
# webhook is logged by Celery and retried by the sweepers, never turned into a 500.
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
# An eager task ran inside the request that enqueued it: its success is no news in the dev server's output (its
# failure still is: Celery logs it as an error).
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "celery.app.trace": {"level": "WARNING"}}}  # noqa: F405

# Emails: one line each in the server's output (recipients, subject, links) and the whole message in a file of
# EMAIL_FILE_PATH (sent-emails/), instead of every MIME message printed whole (config/email.py).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="config.email.DevelopmentEmailBackend")

_frontend = urlsplit(FRONTEND_URL)
_frontend_origin = f"{_frontend.scheme}://{_frontend.netloc}"
# The frontend on the developer's machine (FRONTEND_URL, http://localhost:3000 by default) may call the API,
# cookies included (single sign-on's binding, the refresh cookie): nothing to find before the first fetch.
# Production allows only the origins CORS_ALLOWED_ORIGINS lists.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[_frontend_origin])
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=True)

# /metrics for a Prometheus (or curl) on the developer's machine; production opens it to nobody by default.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
sentry_start(environment=ENVIRONMENT)  # noqa: F405 - SENTRY_DSN set: errors go to Sentry (observability.py)
