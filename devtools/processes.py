"""Throwaway processes for the fault drills (tests/faults/) and the benchmarks (benchmarks/).

A Redis, a PostgreSQL cluster or database, the app under gunicorn, an S3 stand-in, and Celery workers, each on a
free loopback port or queue of its own, so that a drill or a benchmark can stop and start it
without touching the machine's shared Redis and PostgreSQL. Only processes started here are ever
signalled; stop each one (``stop()``/``destroy()``/``drop()``) in a ``finally``.

Pure Python, no pytest: a missing server binary raises ``MissingBinary`` and a wait that runs out
raises ``WaitTimeout``; tests turn the first into a skip (or a failure when CI requires the
services, see tests/conftest.py), benchmarks into an exit message.
"""

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]

# Variables of the calling process that must not leak into a server's own configuration.
NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "TEST_MEDIA_ROOT")


class ProcessError(RuntimeError):
    """A throwaway process could not be started, or did not do what it had to."""


class MissingBinary(ProcessError):
    """A server binary (redis-server, initdb, wrk...) is not installed on this machine."""


class WaitTimeout(ProcessError, TimeoutError):
    """``wait_until`` ran out of time."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, message: str, interval: float = 0.05):
    """Poll ``predicate`` until it returns a true value (returned); ``WaitTimeout`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.0f} s: {message}")
        time.sleep(interval)


def require_binary(path: str | None, what: str) -> str:
    if path and Path(path).exists():
        return path
    raise MissingBinary(f"{what} is not installed here")


def npm_ci_once(directory: Path, *, installed: Path) -> None:
    """``npm ci`` in ``directory`` (a Node.js tool of devtools/ with its lock file) unless ``installed``, a file
    its packages bring, is there already. A missing ``npm`` raises ``MissingBinary``."""
    if installed.exists():
        return
    npm = require_binary(shutil.which("npm"), "npm (Node.js)")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise ProcessError(f"npm ci in {directory} failed:\n{result.stdout}{result.stderr}")


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without its service URLs and settings module, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def stop_process(process: subprocess.Popen | None, *, group: bool = False, timeout: float = 10) -> None:
    """SIGTERM (to its process group with ``group``), then SIGKILL if it has not exited within ``timeout``."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM) if group else process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        process.wait(timeout=timeout)


def run_python(args, *, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    """``python ARGS`` (e.g. ``["manage.py", "check"]``) in a fresh process at the project root.

    The process gets this environment without its service URLs and settings module, plus ``env``.
    """
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """``redis-server`` on a free port, keeping nothing on disk (as the machine's own)."""

    def __init__(self):
        self.binary = require_binary(shutil.which("redis-server"), "redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="workspace-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        # A session of its own: Ctrl-C on a benchmark reaches the benchmark, which stops it.
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_until(self.ping, timeout=10, message=f"redis-server did not answer on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Stop it as a crash would: SIGKILL, nothing flushed, clients cut off."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_until(lambda: not self.ping(), timeout=5, message="redis-server still answers after SIGKILL")

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------------


def _postgres_bin() -> str | None:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1].parent)
    pg_ctl = shutil.which("pg_ctl")
    return str(Path(pg_ctl).parent) if pg_ctl else None


class PostgresCluster:
    """A PostgreSQL cluster of its own (``initdb``) in a temporary folder, on a free port.

    The server refuses to run as root, so as root the commands run as the ``postgres`` user.
    """

    def __init__(self):
        bin_dir = _postgres_bin()
        require_binary(bin_dir and str(Path(bin_dir) / "initdb"), "PostgreSQL's initdb")
        self.bin = Path(bin_dir)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="workspace-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _command(self, *args: str) -> list[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres else command

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            self._command(*args), capture_output=True, text=True, timeout=timeout, check=False, cwd=self.dir
        )
        if result.returncode != 0:
            raise ProcessError(f"{args[0]} failed: {result.stdout}{result.stderr}\n{self.log_tail()}")
        return result

    @property
    def _options(self) -> str:
        return f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"

    def init(self) -> "PostgresCluster":
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> "PostgresCluster":
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options, "-l", str(self.log), "-w", "-t", "30", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", self._options, "-l", str(self.log), "-m", "fast", "-w", "-t", "30",
            "restart",
        )  # fmt: skip

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(sql)

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.log, lines)

    def destroy(self) -> None:
        """Stop the server however it is (immediate shutdown, then SIGKILL of its postmaster) and remove it."""
        if self.running():
            command = self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "20", "stop")
            subprocess.run(command, capture_output=True, timeout=30, check=False)  # noqa: S603
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():  # still there: the postmaster we started did not stop
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayDatabase:
    """A database of its own on an existing PostgreSQL server (``server_url``), dropped by ``drop()``."""

    def __init__(self, server_url: str, prefix: str = "workspace_throwaway"):
        parts = urlsplit(server_url)
        self.name = f"{prefix}_{os.getpid()}"
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.created = False

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> "ThrowawayDatabase":
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        return self

    def drop(self) -> None:
        if self.created:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False


def database_url(settings_dict: dict) -> str:
    """A ``DATABASE_URL`` for another process to reach the database of these Django settings."""
    user = quote(settings_dict["USER"] or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


# --- The app under gunicorn -------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict = field(default_factory=dict)  # lower-case names
    body: object = None  # parsed JSON, or text

    @property
    def codes(self) -> list[str]:
        if isinstance(self.body, dict) and isinstance(self.body.get("errors"), list):
            return [error.get("code") for error in self.body["errors"]]
        return []

    def is_envelope(self, code: str) -> bool:
        """The project's error envelope (config/exceptions.py), with this code."""
        body = self.body
        return (
            isinstance(body, dict)
            and body.get("success") is False
            and bool(body.get("errors"))
            and all(set(error) == {"code", "message", "field"} for error in body["errors"])
            and code in self.codes
        )


def rsa_private_key_pem() -> str:
    """A fresh RSA private key (PEM), as production's ``OAUTH_JWT_PRIVATE_KEY`` wants one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production deployment (``config.settings.production``), plus ``overrides``."""
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "OAUTH_JWT_PRIVATE_KEY": rsa_private_key_pem(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return clean_env(**{**production, **overrides})


# The endpoint classes' limits (config/settings/ratelimits.py), for a drill or a benchmark that loads the server
# from one address as a few people: far above what it sends, since it measures the server, not the limiter
# (benchmarks/rate_limit.py measures that; tests/config/test_rate_limits.py tests it). Guess limits stay.
UNLIMITED_CLASSES = {
    f"RATELIMIT_{rate_class}_{who}": "1000000/m"
    for rate_class in ("READ", "WRITE", "UPLOAD", "EXPORT", "AUTH")
    for who in ("USER", "IP")
} | {"RATELIMIT_ANONYMOUS_IP": "1000000/m"}


class AppServer:
    """The project under gunicorn (as the Docker image runs it), on a free loopback port.

    Requests carry ``X-Forwarded-Proto: https``, as from the TLS proxy production runs behind
    (production settings redirect plain HTTP). ``extra_args`` go to gunicorn as they are.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        worker_class: str = "gthread",
        threads: int = 4,
        timeout: int = 30,
        graceful_timeout: int = 5,
        extra_args: tuple[str, ...] = (),
    ):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="workspace-app-"))
        (self.dir / "static").mkdir()
        self.env = {"STATIC_ROOT": str(self.dir / "static"), "MEDIA_ROOT": str(self.dir / "media"), **env}
        self.options = [
            "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
            "--timeout", str(timeout), "--graceful-timeout", str(graceful_timeout),
            "--no-control-socket",  # gunicorn's default one is a single path in $HOME, shared by every instance
            *extra_args,
        ]  # fmt: skip
        self.log = self.dir / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    server = "gunicorn"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            *self.options,
        ]  # fmt: skip

    def start(self, timeout: float = 60) -> "AppServer":
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready():
            if self.process.poll() is not None:
                raise ProcessError(f"{self.server} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                return self.request("GET", "/health/live", timeout=2).status == 200
            except OSError:
                return False

        wait_until(
            ready, timeout=timeout, message=f"{self.server} did not serve /health/live\n{self.log_tail()}", interval=0.2
        )
        return self

    def request(self, method: str, path: str, *, token: str | None = None, body=None, timeout: float = 15) -> Reply:
        headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            reply_headers = {name.lower(): value for name, value in response.getheaders()}
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(response.status, reply_headers, parsed)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        return _tail(self.log, lines)

    def stop(self) -> None:
        stop_process(self.process, group=True, timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


class AsgiAppServer(AppServer):
    """The project's ASGI process (config/asgi.py under uvicorn), as the ``events`` service of
    docker-compose.yml runs it to serve the live streams; ``workers`` uvicorn processes."""

    server = "uvicorn"

    def __init__(self, env: dict[str, str], *, workers: int = 1, graceful_timeout: int = 5, extra_args=()):
        super().__init__(env, workers=workers, graceful_timeout=graceful_timeout)
        self.options = [
            "--workers", str(workers), "--timeout-graceful-shutdown", str(graceful_timeout), "--no-access-log",
            "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", *extra_args,
        ]  # fmt: skip
        self.log = self.dir / "uvicorn.log"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
            "--port", str(self.port), *self.options,
        ]  # fmt: skip


# --- An S3 stand-in ----------------------------------------------------------------------------


class MotoServer:
    """moto's S3 server (``moto_server``, from PyPI, beside this interpreter) on a free loopback port, holding
    everything in its memory: a stand-in for S3, never S3 itself (docs/testing.md)."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="workspace-moto-"))
        self.log = self.dir / "moto.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "MotoServer":
        binary = require_binary(str(Path(sys.executable).parent / "moto_server"), "moto_server (moto[server])")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own virtualenv's script
                [binary, "-H", "127.0.0.1", "-p", str(self.port)],
                cwd=self.dir,
                env=clean_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready():
            if self.process.poll() is not None:
                raise ProcessError(f"moto_server exited with {self.process.returncode}:\n{_tail(self.log, 20)}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/")
                return conn.getresponse().status == 200
            except OSError:
                return False
            finally:
                conn.close()

        wait_until(ready, timeout=timeout, message="moto_server did not answer", interval=0.1)
        return self

    def stop(self) -> None:
        stop_process(self.process, group=True)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Celery workers ---------------------------------------------------------------------------

WORKER_OPTIONS = ("-c", "1", "--pool", "solo", "-l", "WARNING", "--without-heartbeat", "--without-mingle")


def celery_worker_start(
    *, queue: str, env: dict[str, str], options=WORKER_OPTIONS, log: Path | None = None
) -> subprocess.Popen:
    """The project's ``celery worker`` consuming ``queue`` only, with exactly ``env``; ``stop_process`` stops it.

    Its output goes to ``log`` when given, else nowhere.
    """
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, *options]
    if log is None:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
