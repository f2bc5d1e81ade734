"""Organization webhooks (``org_webhooks``): retries, secret rotation, pausing, fairness between endpoints."""

from .env import env

# Seconds before each attempt, counted from the previous one (Svix's schedule): the first at once,
# then 5 s, 5 min, 30 min, 2 h, 5 h and 10 h later; a delivery that failed them all is failed.
ORG_WEBHOOK_RETRY_SCHEDULE = env.list(
    "ORG_WEBHOOK_RETRY_SCHEDULE", cast=int, default=[0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600]
)
ORG_WEBHOOK_MAX_ATTEMPTS = len(ORG_WEBHOOK_RETRY_SCHEDULE)
# After POST .../rotate-secret the previous secret still signs (a second signature) for this long.
ORG_WEBHOOK_SECRET_OVERLAP_HOURS = env.int("ORG_WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
# An endpoint whose every attempt failed for this long (no success since) is paused; its admins get an email.
ORG_WEBHOOK_PAUSE_AFTER_DAYS = env.int("ORG_WEBHOOK_PAUSE_AFTER_DAYS", default=5)
# Deliveries to one endpoint sent at the same time, at most; and how many of its due deliveries one
# sweep sends before the next endpoint's (a slow or dead endpoint never holds every worker).
ORG_WEBHOOK_MAX_IN_FLIGHT = env.int("ORG_WEBHOOK_MAX_IN_FLIGHT", default=4)
# How long a delivery waits when its endpoint already has ORG_WEBHOOK_MAX_IN_FLIGHT in flight.
ORG_WEBHOOK_BUSY_RETRY_SECONDS = env.int("ORG_WEBHOOK_BUSY_RETRY_SECONDS", default=2)
