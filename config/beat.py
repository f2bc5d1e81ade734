"""Celery beat's scheduler (``CELERY_BEAT_SCHEDULER``): the persistent one, leaving a heartbeat after each tick.

Its health check (``python -m config.healthcheck beat``) reads the heartbeat: a beat whose loop hangs (a
publish that never returns, a deadlock) or died stops renewing it, where its process and its schedule file
(synced only every few minutes) would look fine.
"""

from celery.beat import PersistentScheduler

from config.healthcheck import beat_heartbeat_write


class HeartbeatScheduler(PersistentScheduler):
    # The longest sleep between two ticks (Celery's default is 300 s): the heartbeat is never older than this
    # while beat is well, so BEAT_HEARTBEAT_MAX_AGE (120 s) can be short.
    max_interval = 30

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        # After the due entries were sent: a tick stuck sending leaves the heartbeat to age.
        beat_heartbeat_write()
        return interval
