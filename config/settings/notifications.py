"""Outgoing messages: notification deliveries and their retries, webhooks, email, links back."""

from .env import BASE_DIR, env

# A delivery (one notification on one channel) is tried at most this many times, then marked failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Backoff between attempts: 30 s, 60 s, 120 s, ... (with jitter), never more than the maximum,
# which stays below Redis's visibility timeout (1 h) so a waiting retry is not redelivered early.
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=30 * 60)
# The beat sweep (its period: celery.py) re-enqueues a pending delivery this long past due (lost
# broker message) ...
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

# Email: notifications, invitations and password resets. Production defaults to SMTP.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))  # for the file backend
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Team Workspace <no-reply@localhost>")
# Links in emails and notifications (invitations, password resets) point at this front end.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")

# Functions (dotted paths) that take the notifications queryset and leave out those a producing app
# hides: the notifications app knows no producer, so tasks_app names how it hides the notifications
# about a deleted task or comment (docs/api/trash.md).
NOTIFICATION_VISIBILITY_FILTERS = ["tasks_app.selectors.notifications_visible"]
