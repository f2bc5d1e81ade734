"""The live stream (``live``): its history, heartbeats, credential checks and tickets."""

from .env import env

# Events are kept this long (at least), so a stream that reconnects with Last-Event-ID misses nothing.
EVENTS_HISTORY_SECONDS = env.int("EVENTS_HISTORY_SECONDS", default=15 * 60)
# ... and at most this many (the in-process buffer of the embedded default; a cap on one resumption's read).
EVENTS_HISTORY_MAX = env.int("EVENTS_HISTORY_MAX", default=100_000)
# The Redis Stream shared by the deployment's processes (with REDIS_URL).
EVENTS_STREAM_KEY = env.str("EVENTS_STREAM_KEY", default="live:events")
# A comment line after this many idle seconds, so proxies do not cut a quiet stream.
EVENTS_HEARTBEAT_SECONDS = env.float("EVENTS_HEARTBEAT_SECONDS", default=15)
# How often an open stream checks its credential (a revoked session's stream ends within this).
EVENTS_RECHECK_SECONDS = env.float("EVENTS_RECHECK_SECONDS", default=5)
# How long a stream ticket (POST /events/tickets) may be used.
EVENTS_TICKET_SECONDS = env.int("EVENTS_TICKET_SECONDS", default=60)
# Under WSGI (runserver, gunicorn's sync workers) a stream holds a worker: it ends after this many
# seconds (`event: end`, reason `reconnect`) and the browser resumes; 0: never. The ASGI server has no limit.
EVENTS_WSGI_STREAM_SECONDS = env.float("EVENTS_WSGI_STREAM_SECONDS", default=50)
