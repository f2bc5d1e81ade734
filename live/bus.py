"""The event bus of the live stream: events published after their commit, kept for a while, fanned out.

An event is a dict (``live.publish`` builds it) given an **id** when published: ``"<ms>-<seq>"``, the
millisecond of publication and a sequence number within it, the format of a Redis Stream entry id. Ids
only grow, so a stream resumes after the last id it received (``Last-Event-ID``) and gets every event
published since, in order, while they are kept (``EVENTS_HISTORY_SECONDS``).

Two buses with one interface:

- ``MemoryBus`` (the embedded default, no ``REDIS_URL``): a ring buffer in this process. Publishing
  and streaming happen in the same process (``make run``'s threaded runserver).
- ``RedisBus`` (``REDIS_URL`` set): one Redis Stream per deployment (``EVENTS_STREAM_KEY``); publishing
  is an ``XADD`` trimmed by ``MINID`` to the history window; **one** reader thread per process
  (``XREAD BLOCK``) hands each new entry to the subscribers of this process, however many streams are
  open, and resumption reads the history with ``XRANGE``.

A subscriber is a ``Subscription``: the bus calls ``deliver(events)`` from whichever thread publishes
or reads; the sync one wakes a thread, the async one its event loop.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import re
import threading
import time
from collections import deque

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

EVENT_ID = re.compile(r"^(\d{1,15})-(\d{1,15})$")


def id_key(event_id: str) -> tuple[int, int]:
    """An id's order: ``"<ms>-<seq>"`` as a pair of numbers (ValueError when malformed)."""
    match = EVENT_ID.match(event_id or "")
    if match is None:
        raise ValueError(f"Not an event id: {event_id!r}")
    return int(match.group(1)), int(match.group(2))


class HistoryGap(Exception):
    """The id to resume after is older than the kept history: events were missed, the client starts over."""


class Subscription:
    """What one open stream receives from the bus. ``deliver`` may be called from any thread."""

    def __init__(self):
        self.pending: deque[dict] = deque()
        self.closed = False

    def deliver(self, events: list[dict]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Wake the stream to end it (server shutdown)."""
        self.closed = True
        self.deliver([])

    def take(self) -> list[dict]:
        events = []
        while self.pending:
            events.append(self.pending.popleft())
        return events


class SyncSubscription(Subscription):
    """For a stream served by a thread (WSGI, runserver, the test client)."""

    def __init__(self):
        super().__init__()
        self.ready = threading.Event()

    def deliver(self, events):
        self.pending.extend(events)
        self.ready.set()

    def wait(self, timeout: float) -> list[dict]:
        """The events received since the last call, waiting up to ``timeout`` seconds for one."""
        if not self.pending and not self.closed:
            self.ready.wait(max(0.0, timeout))
        self.ready.clear()
        return self.take()


class AsyncSubscription(Subscription):
    """For a stream served by an event loop (the ASGI server)."""

    def __init__(self):
        super().__init__()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ready: asyncio.Event | None = None

    def bind(self) -> None:
        """On the loop that serves the stream (made in a thread, it is served on the loop): events
        delivered before this are pending, and the first wait sees them."""
        self.ready = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    def deliver(self, events):
        self.pending.extend(events)
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing is waiting any more
                loop.call_soon_threadsafe(self.ready.set)

    async def wait(self, timeout: float) -> list[dict]:
        if not self.pending and not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), timeout=max(0.0, timeout))
        self.ready.clear()
        return self.take()


def _wake_all(subscriptions) -> None:
    for subscription in subscriptions:
        subscription.ready.set()


class Bus:
    """Publish events, read the kept history, and fan new events out to this process's subscribers."""

    def __init__(self):
        self.subscribers: set[Subscription] = set()
        self.lock = threading.Lock()

    def subscribe(self, subscription: Subscription) -> Subscription:
        with self.lock:
            self.subscribers.add(subscription)
        self.started()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            self.subscribers.discard(subscription)

    def fan_out(self, events: list[dict]) -> None:
        """Hand ``events`` to every subscriber; the streams of an event loop are woken by one callback on
        it, not one each (a thousand wake-ups through the loop's pipe per event otherwise)."""
        with self.lock:
            subscribers = list(self.subscribers)
        by_loop: dict[asyncio.AbstractEventLoop, list[AsyncSubscription]] = {}
        for subscription in subscribers:
            loop = getattr(subscription, "loop", None)
            if loop is None:
                subscription.deliver(events)
            else:
                subscription.pending.extend(events)
                by_loop.setdefault(loop, []).append(subscription)
        for loop, woken in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing is waiting any more
                loop.call_soon_threadsafe(_wake_all, woken)

    def close_all(self) -> None:
        """End every open stream of this process (the server is shutting down)."""
        with self.lock:
            subscribers = list(self.subscribers)
        for subscription in subscribers:
            subscription.close()

    def started(self) -> None:
        """Called on each subscription: a bus that reads from elsewhere starts its reader here."""

    def publish(self, event: dict) -> str:
        raise NotImplementedError

    def publish_many(self, events: list[dict]) -> list[str]:
        """Publish ``events`` in their order (a bulk change's one event per task)."""
        return [self.publish(event) for event in events]

    def history_after(self, event_id: str) -> list[dict]:
        """The kept events published after ``event_id``, oldest first; ``HistoryGap`` if some were dropped."""
        raise NotImplementedError

    def last_id(self) -> str:
        """The id of the newest event published, or ``"0-0"``."""
        raise NotImplementedError


class MemoryBus(Bus):
    """The embedded default: a ring buffer of this process's events, trimmed to the history window."""

    def __init__(self, *, history_seconds: float, max_events: int):
        super().__init__()
        self.history_seconds = history_seconds
        self.events: deque[dict] = deque(maxlen=max_events)
        self.dropped_up_to = (0, 0)  # the newest id trimmed away: resuming at or after it is safe
        self.last = (0, 0)
        self.publishing = threading.Lock()

    def _next_id(self) -> tuple[int, int]:
        ms = int(time.time() * 1000)
        last_ms, last_seq = self.last
        return (last_ms, last_seq + 1) if ms <= last_ms else (ms, 0)

    def _trim(self, now_ms: int) -> None:
        horizon = now_ms - int(self.history_seconds * 1000)
        while self.events and (id_key(self.events[0]["id"])[0] < horizon or len(self.events) == self.events.maxlen):
            self.dropped_up_to = id_key(self.events.popleft()["id"])

    def publish(self, event: dict) -> str:
        # One publisher at a time from the id to the fan-out: streams receive ids in order (a stream skips
        # an id lower than one it has sent, as a repeat).
        with self.publishing:
            with self.lock:
                self.last = self._next_id()
                event = {**event, "id": f"{self.last[0]}-{self.last[1]}"}
                self._trim(self.last[0])
                self.events.append(event)
            self.fan_out([event])
        return event["id"]

    def history_after(self, event_id: str) -> list[dict]:
        after = id_key(event_id)
        with self.lock:
            self._trim(int(time.time() * 1000))
            if after < self.dropped_up_to:
                raise HistoryGap()
            return [event for event in self.events if id_key(event["id"]) > after]

    def last_id(self) -> str:
        return f"{self.last[0]}-{self.last[1]}"


class RedisBus(Bus):
    """A Redis Stream shared by every process of the deployment, read by one thread per process."""

    def __init__(self, *, url: str, key: str, history_seconds: float, max_events: int, block_ms: int = 5000):
        super().__init__()
        self.client = redis.Redis.from_url(url, socket_timeout=block_ms / 1000 + 5, health_check_interval=30)
        self.key = key
        self.history_seconds = history_seconds
        self.max_events = max_events
        self.block_ms = block_ms
        self.reader: threading.Thread | None = None
        self.reader_lock = threading.Lock()

    def publish(self, event: dict) -> str:
        horizon = int((time.time() - self.history_seconds) * 1000)
        # MINID trims what left the window; approximate trimming ("~") keeps XADD O(1), and never
        # trims entries inside the window.
        event_id = self.client.xadd(
            self.key, {"e": json.dumps(event, separators=(",", ":"))}, minid=horizon, approximate=True
        )
        return event_id.decode() if isinstance(event_id, bytes) else event_id

    def publish_many(self, events: list[dict]) -> list[str]:
        # One round trip for a bulk change's events (up to 100), in their order.
        horizon = int((time.time() - self.history_seconds) * 1000)
        pipeline = self.client.pipeline(transaction=False)
        for event in events:
            pipeline.xadd(self.key, {"e": json.dumps(event, separators=(",", ":"))}, minid=horizon, approximate=True)
        return [entry.decode() if isinstance(entry, bytes) else entry for entry in pipeline.execute()]

    @staticmethod
    def _decode(entry_id, fields) -> dict:
        event = json.loads(fields[b"e"])
        event["id"] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        return event

    def history_after(self, event_id: str) -> list[dict]:
        after = id_key(event_id)
        if after[0] < int((time.time() - self.history_seconds) * 1000):
            # Older than the window: entries after it may have been trimmed (MINID never trims inside it).
            try:
                info = self.client.xinfo_stream(self.key)
            except redis.ResponseError:  # no stream yet: nothing was ever published, nothing missed
                info = {"length": 0, "entries-added": 0}
            trimmed = info.get("entries-added", info["length"] + 1) > info["length"]
            first = info.get("first-entry")
            if trimmed and (first is None or id_key(first[0].decode()) > after):
                raise HistoryGap()
        entries = self.client.xrange(self.key, min=f"({event_id}", max="+", count=self.max_events)
        return [self._decode(entry_id, fields) for entry_id, fields in entries]

    def last_id(self) -> str:
        info = self.client.xrevrange(self.key, max="+", min="-", count=1)
        return info[0][0].decode() if info else "0-0"

    def started(self) -> None:
        with self.reader_lock:
            if self.reader is None or not self.reader.is_alive():
                # Where to read from, taken before the subscriber reads its history: nothing falls between.
                start = self.last_id()
                self.reader = threading.Thread(target=self._read, args=(start,), name="live-events-reader", daemon=True)
                self.reader.start()

    def _read(self, last: str) -> None:
        """The one reader of this process: new entries, in order, to every subscriber here."""
        for attempt in itertools.count():
            try:
                while True:
                    with self.lock:
                        if not self.subscribers:
                            self.reader = None
                            return
                    reply = self.client.xread({self.key: last}, block=self.block_ms, count=1000)
                    for _key, entries in reply or ():
                        events = [self._decode(entry_id, fields) for entry_id, fields in entries]
                        if events:
                            last = events[-1]["id"]
                            self.fan_out(events)
            except Exception as exc:  # Redis away: keep the place, try again, never end the streams
                logger.warning("Live events reader: %s; retrying", type(exc).__name__)
                time.sleep(min(5.0, 0.2 * (attempt + 1)))


_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    """This process's bus, made on first use from the settings."""
    global _bus
    with _bus_lock:
        if _bus is None:
            common = {"history_seconds": settings.EVENTS_HISTORY_SECONDS, "max_events": settings.EVENTS_HISTORY_MAX}
            if settings.REDIS_URL:
                _bus = RedisBus(url=settings.REDIS_URL, key=settings.EVENTS_STREAM_KEY, **common)
            else:
                _bus = MemoryBus(**common)
        return _bus


def reset_bus() -> None:
    """Forget this process's bus (tests, and settings changed at run time)."""
    global _bus
    with _bus_lock:
        _bus = None
