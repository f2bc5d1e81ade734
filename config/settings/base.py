"""Settings shared by every environment, read from the environment (12-factor).

With nothing set the project runs on the embedded default: SQLite, an in-process
cache and eager Celery. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and
Redis; the same code runs both paths.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------------------

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
APP_VERSION = env.str("APP_VERSION", default="0.1.0")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production overrides this with a required value; see production.py.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-development-only-key-do-not-use-in-production")
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
    "django_ratelimit",
    "django_guid",
    # ours
    "config.apps.ConfigConfig",
    "accounts",
    "organizations",
    "sessions_app",
    "tasks_app",
    "imports",
    "reports",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
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

# --- Database ---------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool (DB_POOL=true) or persistent connections, health-checked either way.
    if env.bool("DB_POOL", default=False):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
else:
    # SQLite: wait for a writer instead of failing at once, as a dev server with a worker needs.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)

# --- Cache (shared by rate limits and the session check) -------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps its client between calls (Django's own backend builds one per
            # call: twice the cost of a read, measured in benchmarks/session_check.py).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="workspace"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "workspace"}}

# --- Celery -----------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process at once (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker outlives a broker outage of any length (None: retry forever), and on Redis uses the
# transport that keeps it alive when the outage hits a running task (see config/celery.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.celery:RedisTransport"
# A broker that is down must not hang a request that enqueues work.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Periodic work.
CELERY_BEAT_SCHEDULE = {
    "cleanup-sessions": {"task": "sessions_app.tasks.cleanup_sessions", "schedule": 60 * 60 * 6},
    "requeue-notification-deliveries": {
        "task": "accounts.tasks.requeue_notification_deliveries",
        "schedule": env.int("NOTIFICATION_SWEEP_SECONDS", default=60),
    },
    # Imports whose worker died (no heartbeat) are resumed; pending ones whose message was lost, enqueued.
    "resume-stale-imports": {
        "task": "imports.tasks.resume_stale_imports",
        "schedule": env.int("IMPORT_SWEEP_SECONDS", default=60),
    },
}

# --- Notifications ----------------------------------------------------------------------

# A delivery (one notification on one channel) is tried at most this many times, then marked failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Backoff between attempts: 30 s, 60 s, 120 s, ... (with jitter), never more than the maximum,
# which stays below Redis's visibility timeout (1 h) so a waiting retry is not redelivered early.
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=30 * 60)
# The beat sweep re-enqueues a pending delivery this long past due (lost broker message) ...
NOTIFICATION_PENDING_GRACE_SECONDS = env.int("NOTIFICATION_PENDING_GRACE_SECONDS", default=5 * 60)
# ... and takes back one "sending" this long (its worker died). Keep it well above the webhook
# and SMTP timeouts, or a slow but alive attempt could be taken over and sent twice.
NOTIFICATION_SENDING_TIMEOUT = env.int("NOTIFICATION_SENDING_TIMEOUT", default=5 * 60)
# Webhooks: short timeouts; https only in production; private addresses only for local tests.
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=5.0)
WEBHOOK_TOTAL_TIMEOUT = env.float("WEBHOOK_TOTAL_TIMEOUT", default=15.0)  # the whole request and response
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)

# --- Imports ----------------------------------------------------------------------------
# CSV imports of tasks and members (the imports app; see the README's "Imports" section).

# Uploads larger than this answer 413; files with more data rows than this answer 400.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
# Rows per transaction: each batch commits together with the job's checkpoint, so a worker killed
# at any point resumes from the last batch with no row lost or loaded twice.
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=5000)
# Member rows go through the organizations services one by one: smaller batches.
IMPORT_MEMBER_BATCH_SIZE = env.int("IMPORT_MEMBER_BATCH_SIZE", default=200)
# A running job whose heartbeat is older than this many minutes lost its worker: the beat sweep
# resumes it from its checkpoint. Keep it well above the time one batch takes.
IMPORT_HEARTBEAT_TIMEOUT = env.int("IMPORT_HEARTBEAT_TIMEOUT", default=5)
# Runs a job may start; one that keeps dying is then failed, so it never blocks its organization's queue.
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
# Rejected-row problems stored per job; the counts go on past it.
IMPORT_MAX_ERRORS = env.int("IMPORT_MAX_ERRORS", default=10_000)

# --- Auth -------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
REGISTRATION_OPEN = env.bool("REGISTRATION_OPEN", default=True)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)  # seconds
# How long a session's state may be served from the cache; bounds revocation lag only if the
# cache could not be told of a revocation (Redis down at that moment).
SESSION_STATE_CACHE_SECONDS = env.int("SESSION_STATE_CACHE_SECONDS", default=60)
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)
# Ended sessions are deleted this many days after they ended.
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
RATE_LIMITS = {
    "login_ip": env.str("RATELIMIT_LOGIN_IP", default="20/m"),
    "login_account": env.str("RATELIMIT_LOGIN_ACCOUNT", default="10/15m"),
    "refresh": env.str("RATELIMIT_REFRESH", default="60/m"),
    "register": env.str("RATELIMIT_REGISTER", default="10/h"),
    "password_reset_ip": env.str("RATELIMIT_PASSWORD_RESET_IP", default="10/h"),
    "password_reset_account": env.str("RATELIMIT_PASSWORD_RESET_ACCOUNT", default="5/h"),
}
RATELIMIT_IP_META_KEY = "config.request_meta.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}

# --- REST framework and the API schema --------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sessions_app.authentication.SessionJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=20),
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)

API_DOCS_ENABLED = env.bool("API_DOCS_ENABLED", default=True)
SPECTACULAR_SETTINGS = {
    "TITLE": "Team Workspace API",
    "DESCRIPTION": "Organizations, tasks, mentions, notifications, CSV imports and reports.",
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "accounts.models.NotificationKind",
        "TaskStatusEnum": "tasks_app.models.STATUS_LABELS",
        "TaskPriorityEnum": "tasks_app.models.PRIORITY_LABELS",
        # Imports: their "kind" and "state" would collide with the notifications' enums.
        "ImportKindEnum": "imports.models.ImportKind",
        "ImportModeEnum": "imports.models.ImportMode",
        "ImportStateEnum": "imports.models.ImportState",
        "ImportPhaseEnum": "imports.models.ImportPhase",
    },
}

# --- Reports ----------------------------------------------------------------------------
# Per-organization reports (the reports app; see the README's "Reports" section).

# Longest range a report may cover, in days (both ends included): longer answers 400.
REPORT_MAX_DAYS = env.int("REPORT_MAX_DAYS", default=731)
# Without `from`, a report covers this many ISO weeks, the current one included.
REPORT_DEFAULT_WEEKS = env.int("REPORT_DEFAULT_WEEKS", default=12)
# An export `running` for longer lost its worker: a new run of its task may take it over.
REPORT_EXPORT_STALE_SECONDS = env.int("REPORT_EXPORT_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT)
# Report enums get their own schema names (imports' job states would clash with a bare "StateEnum").
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ReportExportFormatEnum": "reports.models.ExportFormat",
        "ReportExportStateEnum": "reports.models.ExportState",
    }
)
# The weekly report email goes out on Mondays at this hour (UTC), for the week just ended.
CELERY_BEAT_SCHEDULE["weekly-report-emails"] = {
    "task": "reports.tasks.send_weekly_reports",
    "schedule": crontab(minute=0, hour=env.int("REPORT_WEEKLY_EMAIL_HOUR", default=6), day_of_week="mon"),
}

# --- Request ids ------------------------------------------------------------------------

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}

# --- Security ---------------------------------------------------------------------------

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Proxies that may set X-Forwarded-For; none by default, so REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Swagger UI and ReDoc inject styles at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Static, media, email ---------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))  # for the file backend
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Team Workspace <no-reply@localhost>")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Uploads bigger than this are streamed to disk instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- Logging ----------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "json" in production
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Our own error middleware logs unexpected exceptions once, with the request id.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_guid": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
