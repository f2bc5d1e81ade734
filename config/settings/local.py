"""The embedded default: a developer's machine, nothing to configure (``<repo>/.env`` is read)."""

from urllib.parse import urlsplit

from .env import env, read_env_file

# Before base reads any value, so the file's count; variables set in the environment still win.
read_env_file(default=True)

from .base import *  # noqa: E402, F403
from .notifications import FRONTEND_URL  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The in-process cache is not shared between processes; fine for one dev server.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
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
