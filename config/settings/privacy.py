"""Deleting one's account and exporting one's data (the ``privacy`` app). Its rate limit is in auth.py."""

from .celery import CELERY_TASK_TIME_LIMIT
from .env import env

# Days between DELETE /users/me (the account is deactivated at once) and its anonymisation; until then
# staff can cancel the deletion in the admin.
ACCOUNT_DELETION_GRACE_DAYS = env.int("ACCOUNT_DELETION_GRACE_DAYS", default=30)
# Hours a built data export may be downloaded; then its file is deleted.
DATA_EXPORT_EXPIRY_HOURS = env.int("DATA_EXPORT_EXPIRY_HOURS", default=48)
# A data export `running` for longer lost its worker: a new run of its task may take it over.
DATA_EXPORT_STALE_SECONDS = env.int("DATA_EXPORT_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT)
