"""Celery (``config/celery.py`` reads every ``CELERY_*`` name here) and the beat schedule."""

from celery.schedules import crontab

from .core import REDIS_URL
from .env import env

# Without Redis, kombu's in-memory transport. It names a host: Celery 5.7 takes a producer from the pool even for
# eager tasks, and kombu warns "No hostname was supplied" on every one for a bare "memory://".
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
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

# Organization webhook deliveries have a queue of their own, served by their own workers (docker-compose's
# webhook-worker), so a slow receiver never holds up imports, exports or emails (docs/operations.md).
CELERY_TASK_ROUTES = {"org_webhooks.tasks.deliver_webhook": {"queue": "webhooks"}}

# Beat's scheduler: Celery's persistent one, leaving a heartbeat after each tick for its health check
# (config/beat.py, config/healthcheck.py).
CELERY_BEAT_SCHEDULER = "config.beat:HeartbeatScheduler"

# Periodic work of every app, in one place.
CELERY_BEAT_SCHEDULE = {
    # The retention policy (RETENTION_POLICIES, config/settings/retention.py): ended sessions, read
    # notifications, delivery history, import and report files, expired data exports, old audit events.
    "purge": {"task": "config.tasks.purge", "schedule": 60 * 60},
    # Deleted accounts past their grace period are anonymised.
    "anonymise-deleted-accounts": {"task": "privacy.tasks.anonymise_deleted_accounts", "schedule": 60 * 60},
    # Every job row (config/jobs.py): runs whose worker died are taken back (imports resume from their
    # checkpoint), pending jobs whose message was lost or never sent are enqueued.
    "sweep-jobs": {
        "task": "config.tasks.sweep_jobs",
        "schedule": env.int("JOB_SWEEP_SECONDS", default=60),
    },
    # The weekly report email goes out on Mondays at this hour (UTC), for the week just ended.
    "weekly-report-emails": {
        "task": "reports.tasks.send_weekly_reports",
        "schedule": crontab(minute=0, hour=env.int("REPORT_WEEKLY_EMAIL_HOUR", default=6), day_of_week="mon"),
    },
}
