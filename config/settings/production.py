"""Production: every secret is required, and the deploy checks pass.

``.env`` is not read unless DJANGO_READ_DOT_ENV_FILE=true: a deployment is configured by its
environment.
"""

from django.core.exceptions import ImproperlyConfigured

from .env import env, read_env_file

read_env_file(default=False)

from .base import *  # noqa: E402, F403
from .base import MIDDLEWARE, SECRET_KEY_FALLBACKS  # noqa: E402
from .logging import logging_config  # noqa: E402
from .storage import STORAGES as _MEDIA_STORAGES  # noqa: E402

ENVIRONMENT = env.str("ENVIRONMENT", default="production")
if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured("DJANGO_DEBUG must not be on in production.")
DEBUG = False

# No default: a deployment without one fails at start. As base read the same variable, the JWT
# signing key (auth.py) falls back to this value too.
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value (50+ characters).")
for _fallback in SECRET_KEY_FALLBACKS:
    if len(_fallback) < 50 or len(set(_fallback)) < 5:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY_FALLBACKS must hold former secret keys (50+ characters).")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

API_DOCS_ENABLED = env.bool("API_DOCS_ENABLED", default=False)

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The container healthcheck calls /health/live over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^health"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("USE_X_FORWARDED_PROTO", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Static files (the admin, the API docs) served by the app itself, compressed and cache-busted.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    "default": _MEDIA_STORAGES["default"],  # STORAGE_BACKEND: local files or the shared bucket (storage.py)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=True)

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT)

# The key that signs OAuth access tokens: a generated one would differ between processes and restarts.
if not (env.str("OAUTH_JWT_PRIVATE_KEY", default="") or env.str("OAUTH_JWT_PRIVATE_KEY_FILE", default="")):
    raise ImproperlyConfigured(
        "OAUTH_JWT_PRIVATE_KEY (an RSA private key, PEM) or OAUTH_JWT_PRIVATE_KEY_FILE is required in production."
    )

# django-oauth-toolkit warns that http redirect URIs are allowed: only loopback ones are (a native app's
# local listener, RFC 8252), which oauth_server/redirects.py enforces on every client.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# Rate limits and the session check need a cache every process shares, and workers a broker.
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured("REDIS_URL is required in production (shared cache and Celery broker).")

sentry_start(environment=ENVIRONMENT)  # noqa: F405 - SENTRY_DSN set: errors go to Sentry (observability.py)
