"""Per-organization reports (the ``reports`` app). The weekly email's hour is in celery.py."""

from .celery import CELERY_TASK_TIME_LIMIT
from .env import env

# Longest range a report may cover, in days (both ends included): longer answers 400.
REPORT_MAX_DAYS = env.int("REPORT_MAX_DAYS", default=731)
# Without `from`, a report covers this many ISO weeks, the current one included.
REPORT_DEFAULT_WEEKS = env.int("REPORT_DEFAULT_WEEKS", default=12)
# An export `running` for longer lost its worker: a new run of its task may take it over.
REPORT_EXPORT_STALE_SECONDS = env.int("REPORT_EXPORT_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT)
