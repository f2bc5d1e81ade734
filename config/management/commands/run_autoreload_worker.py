"""``manage.py run_autoreload_worker [CELERY WORKER OPTIONS]``: a Celery worker restarted when the code changes.

For development only (docker-compose.dev.yml): Celery has no reloader of its own and watchdog's ``watchmedo``
is not a dependency, so Django's autoreloader (the one of ``runserver``) watches the project's Python files and
restarts this command, which runs ``celery -A config worker ...`` as a child process and stops it first.
"""

import atexit
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import autoreload


def worker_command(options: list[str]) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", "worker", *options]


def project_app_paths() -> list[Path]:
    """Our apps' folders: watched whole, as a task module is imported by the worker, not by this process."""
    base = Path(settings.BASE_DIR).resolve()
    paths = {Path(config.path).resolve() for config in apps.get_app_configs()}
    return sorted(path for path in paths if path.is_relative_to(base) and ".venv" not in path.parts)


def watch_project(sender, **kwargs):
    for path in project_app_paths():
        sender.watch_dir(path, "**/*.py")


def run_worker(options: list[str], *, popen=subprocess.Popen) -> int:
    """The worker as a child process, stopped (warm shutdown, then killed) when the reloader restarts us."""
    process = popen(worker_command(options))

    def stop():
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    atexit.register(stop)
    return process.wait()


def run_with_reloader(options: list[str]) -> None:
    """Django's ``autoreload.run_with_reloader``, stopping the worker on SIGTERM too.

    ``docker stop`` signals PID 1 only: the reloader's parent, which Django's version answers by killing its
    child (SIGKILL), leaving the worker running. Here the parent, the leader of its process group (as PID 1 or
    a shell's job), passes SIGTERM to the group, and the child exits on it, stopping the worker on its way out.
    """
    if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true":
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        autoreload.start_django(autoreload.get_reloader(), run_worker, options)
        return

    def forward(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(os.getpgrp(), signal.SIGTERM)

    if os.getpgrp() == os.getpid():
        signal.signal(signal.SIGTERM, forward)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole group: the child stops the worker
        sys.exit(autoreload.restart_with_reloader())


class Command(BaseCommand):
    help = "Run a Celery worker (development), restarted when a Python file of the project changes."

    def add_arguments(self, parser):
        parser.add_argument("options", nargs="*", help="celery worker options, after --: -- --loglevel=INFO")

    def handle(self, *args, options, **kwargs):
        autoreload.autoreload_started.connect(watch_project)
        self.stdout.write(f"Watching the project's Python files; running: {' '.join(worker_command(options))}")
        run_with_reloader(options)
