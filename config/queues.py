"""The Celery queues as the Redis broker holds them: how many messages wait in each, and the oldest one.

Read by /metrics at each scrape (config/scrape.py) and by ``manage.py queues``, straight from Redis with short
timeouts rather than through kombu, whose connection retries for seconds when the broker is down (a scrape must
answer at once). kombu's Redis transport keeps a queue as lists: ``<queue>`` and, for the priorities above 0,
``<queue>\\x06\\x16<priority>``; it pushes on the left and takes from the right, so the oldest message of each list
is its last. Messages a worker has taken but not acknowledged (running, or waiting for their countdown) are in
the ``unacked`` hash, no longer in a queue. tests/config/test_queues.py holds this to what Celery publishes.

A message's age is read from the ``sent_at`` header that every message gets when it is published
(config/celery.py); a message published without it has no age.
"""

import json
import time
from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS, Channel

from config.celery import SENT_AT_HEADER

UNACKED_KEY = Channel.unacked_key


@dataclass(frozen=True)
class QueuedMessage:
    task: str
    id: str
    sent_at: float | None

    def age(self, now: float) -> float | None:
        return None if self.sent_at is None else max(0.0, now - self.sent_at)


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest: QueuedMessage | None

    def as_dict(self, now: float) -> dict:
        oldest = None
        if self.oldest is not None:
            oldest = {**asdict(self.oldest), "age_seconds": _rounded(self.oldest.age(now))}
        return {"name": self.name, "depth": self.depth, "oldest": oldest}


class BrokerUnavailable(Exception):
    """Redis did not answer."""


def broker_is_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def known_queues(extra=()) -> list[str]:
    """The queues the project sends to: the default one, those of ``CELERY_TASK_ROUTES`` and any declared."""
    from config.celery import app

    names = {app.conf.task_default_queue, *extra}
    for route in (app.conf.task_routes or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    names.update(queue.name for queue in app.conf.task_queues or ())
    return sorted(names)


def _priority_keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS]


def queue_requests(pipe, queues: list[str]) -> None:
    """Add to ``pipe`` what ``queue_states`` reads: per queue and priority, the length and the last item."""
    for queue in queues:
        for key in _priority_keys(queue):
            pipe.llen(key)
            pipe.lindex(key, -1)
    pipe.hlen(UNACKED_KEY)


def queue_states(queues: list[str], replies: list) -> tuple[list[QueueState], int]:
    """The states of ``queues`` from the replies of ``queue_requests``, and the number of unacknowledged messages."""
    replies = iter(replies)
    states = []
    for queue in queues:
        depth, oldest = 0, None
        for _key in _priority_keys(queue):
            length, last = next(replies), next(replies)
            depth += int(length or 0)
            message = _message(last) if last else None
            if message is not None and (oldest is None or (message.sent_at or 0) < (oldest.sent_at or 0)):
                oldest = message
        states.append(QueueState(queue, depth, oldest))
    return states, int(next(replies) or 0)


def read_queues(client: redis.Redis, queues: list[str]) -> tuple[list[QueueState], int]:
    """Every queue of ``queues`` in one round trip; ``BrokerUnavailable`` when Redis does not answer."""
    try:
        with client.pipeline(transaction=False) as pipe:
            queue_requests(pipe, queues)
            replies = pipe.execute()
    except redis.RedisError as exc:
        raise BrokerUnavailable(str(exc)) from exc
    return queue_states(queues, replies)


def broker_client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)


def _message(raw: bytes) -> QueuedMessage | None:
    try:
        headers = json.loads(raw).get("headers") or {}
    except (ValueError, AttributeError):
        return None
    sent_at = headers.get(SENT_AT_HEADER)
    return QueuedMessage(
        task=str(headers.get("task") or "?"),
        id=str(headers.get("id") or "?"),
        sent_at=float(sent_at) if isinstance(sent_at, int | float) else None,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def now() -> float:
    return time.time()
