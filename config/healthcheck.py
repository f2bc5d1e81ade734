"""The container's health check, one per role of the image: ``python -m config.healthcheck ROLE``.

Exit status 0 when healthy, 1 (with the reason on standard error) when not. The roles:

- ``web`` and ``events``: ``GET /health/live`` over HTTP on the process's own port (``PORT``, 8000; events
  ``--port 8001``), with a ``Host`` the app accepts (the first of ``DJANGO_ALLOWED_HOSTS``). Liveness only: a
  database outage is not fixed by restarting the process (``/health`` is the readiness check).
- ``worker``: a Celery ping to this container's own worker (``--node``, ``celery@%h`` by default: the webhook
  worker is ``webhooks@%h``), so a worker that stopped consuming fails even while its process runs.
- ``beat``: the heartbeat that beat writes after each tick of its scheduler (``config.beat``) is younger than
  ``BEAT_HEARTBEAT_MAX_AGE`` seconds (120). Beat ticks at least every 30 s (its scheduler's longest sleep), so
  a stale heartbeat means its loop is stuck or dead. The schedule file cannot tell: Celery rewrites it only
  every few minutes.
- ``flower``: ``GET /healthcheck`` on Flower's port (``FLOWER_PORT``, 5555), which needs no credentials.

The role is the first argument, or ``HEALTHCHECK_ROLE`` (``web`` by default, the image's default command).
Django is not set up (a check runs every 30 s): only the worker's ping loads the settings, for the broker.
"""

import argparse
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROLES = ("web", "events", "worker", "beat", "flower")
DEFAULT_PORTS = {"web": 8000, "events": 8001, "flower": 5555}
# /tmp: the image's writable scratch (an emptyDir under Kubernetes), private to the container.
BEAT_HEARTBEAT_FILE = "/tmp/celerybeat-heartbeat"  # noqa: S108
BEAT_HEARTBEAT_MAX_AGE = 120


class Unhealthy(Exception):
    """What the check found wrong; the exit status is 1."""


def beat_heartbeat_path() -> Path:
    return Path(os.environ.get("BEAT_HEARTBEAT_FILE") or BEAT_HEARTBEAT_FILE)


def beat_heartbeat_write(*, path: Path | None = None, now: float | None = None) -> None:
    """Record that beat's scheduler just ticked: the time, written whole (a reader never sees half a number)."""
    path = path or beat_heartbeat_path()
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(f"{time.time() if now is None else now:.3f}\n")
    os.replace(temporary, path)


def check_beat(*, path: Path | None = None, max_age: float | None = None, now: float | None = None) -> str:
    path = path or beat_heartbeat_path()
    if max_age is None:
        max_age = float(os.environ.get("BEAT_HEARTBEAT_MAX_AGE") or BEAT_HEARTBEAT_MAX_AGE)
    now = time.time() if now is None else now
    try:
        beat = float(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise Unhealthy(f"beat has written no heartbeat at {path} ({exc})") from exc
    age = now - beat
    if age > max_age:
        raise Unhealthy(f"beat last ticked {age:.0f}s ago (more than {max_age:g}s): its scheduler is stuck or gone")
    return f"beat ticked {age:.0f}s ago"


def allowed_host() -> str:
    """A host name the app answers to: Django refuses (400) a Host outside DJANGO_ALLOWED_HOSTS."""
    for host in (os.environ.get("DJANGO_ALLOWED_HOSTS") or "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def check_http(*, port: int, path: str, timeout: float) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": allowed_host()})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (an http URL of our own)
            return f"{path} answered {response.status}"
    except urllib.error.HTTPError as exc:
        raise Unhealthy(f"{path} answered {exc.code}") from exc
    except (OSError, urllib.error.URLError) as exc:
        raise Unhealthy(f"{path} on port {port} did not answer: {exc}") from exc


def worker_node(node: str | None) -> str:
    return (node or "celery@%h").replace("%h", socket.gethostname())


def check_worker(*, node: str, timeout: float, ping=None) -> str:
    if ping is None:
        from config.celery import app

        ping = app.control.ping
    try:
        replies = ping(destination=[node], timeout=timeout)
    except Exception as exc:  # the broker is down, or refused us
        raise Unhealthy(f"could not ping {node}: {type(exc).__name__}: {exc}") from exc
    if not any(reply.get(node) == {"ok": "pong"} for reply in replies or []):
        raise Unhealthy(f"{node} did not answer a ping within {timeout:g}s")
    return f"{node} answered"


def check(role: str, *, port: int | None = None, node: str | None = None, timeout: float = 4) -> str:
    if role in ("web", "events", "flower"):
        if port is None:
            variable = {"web": "PORT", "flower": "FLOWER_PORT"}.get(role)
            port = int((variable and os.environ.get(variable)) or DEFAULT_PORTS[role])
        return check_http(port=port, path="/healthcheck" if role == "flower" else "/health/live", timeout=timeout)
    if role == "worker":
        return check_worker(node=worker_node(node), timeout=timeout)
    if role == "beat":
        return check_beat()
    raise Unhealthy(f"unknown role {role!r}: one of {', '.join(ROLES)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default=os.environ.get("HEALTHCHECK_ROLE") or "web", choices=ROLES)
    parser.add_argument("--port", type=int, help="web, events, flower: the port (default: by role)")
    parser.add_argument("--node", help="worker: the node to ping (default celery@%%h, %%h the host name)")
    parser.add_argument("--timeout", type=float, default=4, help="seconds to wait for an answer")
    options = parser.parse_args(argv)
    try:
        print(check(options.role, port=options.port, node=options.node, timeout=options.timeout))
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
