"""gunicorn's configuration: the web service of the Docker image and docker-compose.yml, and the benchmarks.

``gunicorn -c config/gunicorn.conf.py config.wsgi:application``; the environment tunes it (``PORT``,
``WEB_CONCURRENCY``, ``GUNICORN_THREADS``, ``GUNICORN_KEEPALIVE``, ``GUNICORN_TIMEOUT``,
``GUNICORN_GRACEFUL_TIMEOUT``). The worker model was
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
# On SIGTERM (a deploy, a scale-down), requests in flight get this long to finish; keep the orchestrator's
# grace period (Compose's stop_grace_period, Kubernetes' terminationGracePeriodSeconds) above it.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Connections waiting for a worker: a burst queues here rather than being refused.
backlog = 2048
accesslog = "-"
# Each worker's heartbeat is a file whose mode it changes every second: on a disk (or a container's overlay
# filesystem) that write may block the worker; /dev/shm is memory, and writable under a read-only root filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn's control socket (gunicornc, since gunicorn 25.1) defaults to $XDG_RUNTIME_DIR/gunicorn.ctl or
# $HOME/.gunicorn/gunicorn.ctl: one path shared by every gunicorn on the machine, and in the image $HOME is the
# read-only code. Nothing here uses it (workers are scaled by the orchestrator), so none is opened.
control_socket_disable = True

# --- Prometheus (config/metrics.py, docs/observability.md) ---------------------------------------------------
# Each worker process writes its request figures to files in one directory, which /metrics adds up
# (prometheus_client's multiprocess mode). Set here, before any worker starts, so they all inherit it; a fresh
# directory when the deployment names none (in memory where /dev/shm exists, as the heartbeat files above).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="workspace-prometheus-",
        dir="/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108
    )


def on_starting(server):
    """A directory the deployment names may hold the files of a previous run, which would count twice."""
    from pathlib import Path

    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink(missing_ok=True)


def post_worker_init(worker):
    """Once warm, the worker's long-lived objects are put out of the garbage collector's reach: its full
    collections no longer pause every thread of the worker for long (config/collector.py)."""
    from config.collector import freeze_when_warm

    freeze_when_warm()


def child_exit(server, worker):
    """A worker that ended leaves its counters to the total; its live gauges go with it."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
