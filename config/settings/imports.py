"""CSV imports of tasks and members (the ``imports`` app). The sweep's period is in celery.py."""

from .env import env

# Uploads larger than this answer 413; files with more data rows than this answer 400. A million task
# rows of a realistic shape (descriptions of 0-20 words, some non-ASCII) take about 150 MB: 256 MiB
# leaves room for longer ones (docs/performance.md, "Imports").
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=256 * 1024 * 1024)
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
