"""Settings of the processes of the multi-host storage drill (tests/config/test_storage_drill.py): production's,
with the Celery queue this process sends its tasks to named by ``DRILL_TASK_QUEUE``, so that the drill decides
which worker runs what a web process enqueues. Nothing in a deployment needs that; it makes the drill's
"uploaded through web A, processed by worker B" a certainty rather than a likelihood."""

import os

from config.settings.production import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["DRILL_TASK_QUEUE"]
