"""Django's core: identity, apps, middleware, templates, the database, the cache, i18n.

With nothing set the project runs on the embedded default: SQLite, an in-process cache and eager
Celery. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis; the same code runs both.
"""

from .env import BASE_DIR, env

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
APP_VERSION = env.str("APP_VERSION", default="0.1.0")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production requires its own value; see production.py.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-development-only-key-do-not-use-in-production")
# Previous secret keys, still accepted when checking what the current one signed or keyed (sessions,
# signed links, password-reset links, stored code digests: config/secret_keys.py), so that rotating
# the key signs no one out (docs/operations.md#rotating-keys). Comma-separated.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # third party
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_guid",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "oauth2_provider",
    # ours
    "config.apps.ConfigConfig",
    "accounts",
    "audit",
    "notifications",
    "organizations",
    "mfa",
    "sessions_app",
    "tasks_app",
    "imports",
    "reports",
    "privacy",
    "sso",
    "mcp_server",
    "pats",
    "oauth_server",
    "orgaudit",
    "org_webhooks",
    "live",
    "idempotency",
]

MIDDLEWARE = [
    # First: times every request whole and counts its queries, per route; answers /metrics itself, before the host
    # check and the HTTPS redirect, for a scraper inside the network (config/metrics.py, docs/observability.md).
    "config.metrics.MetricsMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # After CORS (whose preflight answers are not counted, and which marks 429s too); counts every request
    # DRF's throttle does not and writes the RateLimit fields (config/ratelimit.py).
    "config.ratelimit.RateLimitMiddleware",
    # django-csp's, its headers built once per settings (config/content_security.py).
    "config.content_security.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ApiErrorMiddleware",
    "config.middleware.SingleValuedQueryMiddleware",
    # ETag and If-None-Match (304) on the API's reads; If-Match is the views' (config/conditional.py).
    "config.conditional.ConditionalGetMiddleware",
    # Idempotency-Key on the API's POSTs (idempotency/middleware.py).
    "idempotency.middleware.IdempotencyKeyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# How a response names a user, for apps below accounts that cannot import it (as AUTH_USER_MODEL).
USER_REFERENCE_SERIALIZER = "accounts.serializers.UserReferenceSerializer"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Database ---------------------------------------------------------------------------


def _database() -> dict:
    database = env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] != "django.db.backends.postgresql":
        # SQLite: wait for a writer instead of failing at once, as a dev server with a worker needs.
        options.setdefault("timeout", 20)
        return database
    # psycopg 3's pool (DB_POOL=true) or persistent connections, health-checked either way.
    if env.bool("DB_POOL", default=False):
        database["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    # Django's backend, its health check first asking the connection's socket (config/postgresql/base.py).
    database["ENGINE"] = "config.postgresql"
    options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    # The list statements that are the same for every value are prepared, the fifth time a connection sends one
    # (config/statements.py); no other statement is, whatever the threshold (they are bound on the client).
    options.setdefault("prepare_threshold", 5 if env.bool("DB_PREPARED_STATEMENTS", default=True) else None)
    return database


DATABASES = {"default": _database()}

# --- Cache (shared by rate limits and the session check) -------------------------------

REDIS_URL = env.str("REDIS_URL", default="")


def default_cache(*, key_prefix: str | None = None) -> dict:
    """The default cache: Redis when REDIS_URL is set, else one in this process.

    ``key_prefix`` replaces CACHE_KEY_PREFIX; test.py passes its own to keep test keys apart.
    """
    if not REDIS_URL:
        cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "workspace"}
        return {**cache, "KEY_PREFIX": key_prefix} if key_prefix else cache
    return {
        # django-redis keeps its client between calls; Django's own Redis backend builds one per call,
        # a cost the session check would pay on every request (benchmarks/session_check.py).
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": key_prefix or env.str("CACHE_KEY_PREFIX", default="workspace"),
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


CACHES = {"default": default_cache()}
