"""Retention: what the project deletes, and after how long (``config/retention.py``, docs/operations.md).

Beat runs every policy hourly (``config.tasks.purge``, in celery.py); ``manage.py purge`` runs them
on demand. Each age is a setting of its own; the data exports' (``DATA_EXPORT_EXPIRY_HOURS``) is in
privacy.py, since it is also the expiry the API shows, and the Idempotency-Keys' (``IDEMPOTENCY_KEY_HOURS``)
in api.py, for the same reason.
"""

from .env import env

# Ended sessions (expired or revoked) are deleted this many days after they ended.
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
# Read notifications are deleted this many days after they were read (unread ones stay).
RETENTION_READ_NOTIFICATIONS_DAYS = env.int("RETENTION_READ_NOTIFICATIONS_DAYS", default=90)
# Finished deliveries, of notifications and of organization webhooks (delivered or failed), are deleted this
# many days after their last attempt.
RETENTION_DELIVERIES_DAYS = env.int("RETENTION_DELIVERIES_DAYS", default=30)
# An import's uploaded CSV file is deleted this many days after the import ended (its row, counts and errors stay).
RETENTION_IMPORT_FILES_DAYS = env.int("RETENTION_IMPORT_FILES_DAYS", default=7)
# A built report export's file is deleted this many days after it was built (the export then answers `expired`).
RETENTION_REPORT_FILES_DAYS = env.int("RETENTION_REPORT_FILES_DAYS", default=7)
# Security audit events, and organizations' audit records, are deleted this many days after they happened.
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=400)
# Soft-deleted tasks and comments stay in their organization's trash, restorable, this many days; then
# they are deleted for good (a task with its comments, mentions and activity).
TRASH_RETENTION_DAYS = env.int("TRASH_RETENTION_DAYS", default=30)
# A deleted organization can be restored by its owners for this many days; then it is deleted for
# good with everything in it.
ORGANIZATION_RESTORE_DAYS = env.int("ORGANIZATION_RESTORE_DAYS", default=30)

# Every policy, in the order they run and are reported. ``purge`` is a dotted path to
# ``purge(*, now, batch_size, dry_run) -> int`` (config/retention.py); ``setting`` holds its age, in
# ``unit``; ``removes`` and ``description`` (where ``{age}`` is the age) are what manage.py purge prints.
RETENTION_POLICIES = [
    {
        "name": "sessions",
        "purge": "sessions_app.services.sessions_purge",
        "setting": "SESSION_RETENTION_DAYS",
        "unit": "days",
        "removes": "sessions",
        "description": "sessions that ended (expired or revoked) more than {age} ago",
    },
    {
        "name": "read_notifications",
        "purge": "notifications.services.notifications_purge_read",
        "setting": "RETENTION_READ_NOTIFICATIONS_DAYS",
        "unit": "days",
        "removes": "notifications",
        "description": "notifications read more than {age} ago, with their deliveries",
    },
    {
        "name": "deliveries",
        "purge": "notifications.services.deliveries_purge",
        "setting": "RETENTION_DELIVERIES_DAYS",
        "unit": "days",
        "removes": "deliveries",
        "description": "notification deliveries delivered or failed more than {age} ago",
    },
    {
        "name": "webhook_deliveries",
        "purge": "org_webhooks.services.deliveries_purge",
        "setting": "RETENTION_DELIVERIES_DAYS",
        "unit": "days",
        "removes": "deliveries",
        "description": "organization webhook deliveries delivered or failed more than {age} ago",
    },
    {
        "name": "import_files",
        "purge": "imports.services.import_files_purge",
        "setting": "RETENTION_IMPORT_FILES_DAYS",
        "unit": "days",
        "removes": "files",
        "description": "uploaded CSV files of imports that ended more than {age} ago (the jobs stay)",
    },
    {
        "name": "report_files",
        "purge": "reports.services.report_files_purge",
        "setting": "RETENTION_REPORT_FILES_DAYS",
        "unit": "days",
        "removes": "files",
        "description": "report export files built more than {age} ago (the exports stay, expired)",
    },
    {
        "name": "data_exports",
        "purge": "privacy.services.data_exports_purge",
        "setting": "DATA_EXPORT_EXPIRY_HOURS",
        "unit": "hours",
        "removes": "exports",
        "description": "personal data exports past their expiry, {age} after they were built (file and row)",
    },
    {
        "name": "oauth_tokens",
        "purge": "oauth_server.services.oauth_tokens_purge",
        "setting": "OAUTH_REFRESH_TOKEN_SECONDS",
        "unit": "seconds",
        "removes": "codes and tokens",
        "description": "OAuth codes and access tokens past their expiry, and refresh tokens {age} after they "
        "were issued (django-oauth-toolkit's clear_expired)",
    },
    {
        "name": "audit",
        "purge": "audit.services.audit_purge",
        "setting": "RETENTION_AUDIT_DAYS",
        "unit": "days",
        "removes": "events",
        "description": "security audit events older than {age}",
    },
    {
        "name": "organization_audit",
        "purge": "orgaudit.services.organization_audit_purge",
        "setting": "RETENTION_AUDIT_DAYS",
        "unit": "days",
        "removes": "records",
        "description": "organizations' audit records older than {age}",
    },
    {
        "name": "idempotency_keys",
        "purge": "idempotency.services.idempotency_keys_purge",
        "setting": "IDEMPOTENCY_KEY_HOURS",
        "unit": "hours",
        "removes": "keys",
        "description": "Idempotency-Key records (and the answers kept for replay) claimed more than {age} ago",
    },
    {
        "name": "trash",
        "purge": "tasks_app.services.trash_purge",
        "setting": "TRASH_RETENTION_DAYS",
        "unit": "days",
        "removes": "tasks and comments",
        "description": "tasks and comments deleted more than {age} ago (a task with its comments, mentions "
        "and activity)",
    },
    {
        "name": "deleted_organizations",
        "purge": "organizations.services.organizations_purge",
        "setting": "ORGANIZATION_RESTORE_DAYS",
        "unit": "days",
        "removes": "organizations",
        "description": "organizations deleted more than {age} ago, with everything in them",
    },
]
