"""gunicorn's configuration: the web service of the Docker image and docker-compose.yml, and the benchmarks.

``gunicorn -c config/gunicorn.conf.py config.wsgi:application``; the environment tunes it (``PORT``,
``WEB_CONCURRENCY``, ``GUNICORN_THREADS``, ``GUNICORN_KEEPALIVE``, ``GUNICORN_TIMEOUT``). The worker model was
chosen by measurement (``python -m benchmarks load --scales ... --models config,sync,gthread,uvicorn``):
docs/performance.md, "Fixed cost and throughput (issue 16)".
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Threads in a few processes: a request waits on PostgreSQL and Redis part of its time, which another thread of
# the same worker uses; keep-alive spares a frontend (or a proxy) a TCP handshake per request, which sync
# workers cannot keep.
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker silent this long is killed and replaced; a request never takes that long (imports and exports run
# in Celery). Keep IDEMPOTENCY_IN_FLIGHT_SECONDS above it.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# Connections waiting for a worker: a burst queues here rather than being refused.
backlog = 2048
accesslog = "-"
# gunicorn's control socket (gunicornc) defaults to one path in $HOME (or $XDG_RUNTIME_DIR) shared by every
# gunicorn on the machine or in the container; nothing here uses it.
control_socket_disable = True
