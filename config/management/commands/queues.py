import json
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config import queues

EAGER = (
    "Celery runs tasks eagerly here (CELERY_TASK_ALWAYS_EAGER, the embedded default without REDIS_URL): every task "
    "runs in the process that sends it, so there are no queues to show."
)


class Command(BaseCommand):
    help = (
        "Print each Celery queue's depth and its oldest message (task, id, how long it has waited), read from the "
        "Redis broker; for operators without Flower (docs/observability.md#queues)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            action="append",
            default=[],
            metavar="NAME",
            help="Also show this queue (repeatable); the default one and those of CELERY_TASK_ROUTES always show.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="One JSON document instead of text.")

    def handle(self, *args, queue, as_json, **options):
        from config.celery import app

        if app.conf.task_always_eager:
            if as_json:
                self.stdout.write(json.dumps({"eager": True, "queues": [], "unacked": 0}))
            else:
                self.stdout.write(EAGER)
            return
        if not queues.broker_is_redis():
            raise CommandError(
                f"Only a Redis broker can be read; CELERY_BROKER_URL is {_safe(settings.CELERY_BROKER_URL)}."
            )
        names = queues.known_queues(queue)
        try:
            states, unacked = queues.read_queues(queues.broker_client(), names)
        except queues.BrokerUnavailable as exc:
            raise CommandError(f"The broker at {_safe(settings.CELERY_BROKER_URL)} did not answer: {exc}") from None
        now = queues.now()
        if as_json:
            document = {
                "eager": False,
                "broker": _safe(settings.CELERY_BROKER_URL),
                "queues": [state.as_dict(now) for state in states],
                "unacked": unacked,
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        width = max(len(name) for name in names)
        self.stdout.write(f"{'queue'.ljust(width)}  {'depth':>7}  oldest message")
        for state in states:
            self.stdout.write(f"{state.name.ljust(width)}  {state.depth:>7}  {_oldest(state, now)}")
        self.stdout.write(
            f"\n{unacked} message(s) taken by workers and not acknowledged yet (running, or waiting for a countdown)."
        )


def _oldest(state: queues.QueueState, now: float) -> str:
    if state.oldest is None:
        return "-"
    message = state.oldest
    age = message.age(now)
    waited = f"waiting {_duration(age)}" if age is not None else "waiting since before sent_at was stamped"
    return f"{message.task} [{message.id}] {waited}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _safe(url: str) -> str:
    """The broker's URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
