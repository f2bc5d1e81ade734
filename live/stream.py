"""One open stream: Server-Sent Events frames for one viewer, served by a thread or by an event loop.

``EventStream`` holds what both ways of serving share (what to send, when to check the credential,
when to beat, when to stop); ``frames_sync`` drives it from a thread (WSGI: runserver, the test
client), ``frames_async`` from the ASGI server's event loop, where 1,000 streams cost 1,000 small
coroutines rather than 1,000 threads. Both unsubscribe however the stream ends (the client leaving,
the credential ending, the server stopping).

Frames (https://html.spec.whatwg.org/multipage/server-sent-events.html):

- ``retry: <ms>`` first: how long a browser waits before reconnecting;
- an event: ``id: <ms>-<seq>``, ``event: <type>``, ``data: <JSON>``; the id is what the browser sends
  back as ``Last-Event-ID`` when it reconnects;
- ``event: reset``: the id to resume after is older than the kept history; reload and go on;
- ``event: end`` with ``{"reason": ...}``: the server ends the stream (``session_revoked``,
  ``credential_ended``, ``shutdown``, ``reconnect``); the last frame;
- ``: heartbeat`` comment lines when nothing was sent for ``EVENTS_HEARTBEAT_SECONDS``, so proxies
  keep an idle stream open.
"""

import json
import signal
import sys
import threading
import time
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.db import connections

from live.bus import Bus, Subscription, id_key
from live.viewer import Viewer

# Reread the person's memberships this often even when no event said they changed (an organization
# requiring a second factor, a change made outside the services).
MEMBERSHIP_RELOAD_SECONDS = 60
RETRY_MILLISECONDS = 2000


PRIVATE = ("audience", "_frame")


def public(event: dict) -> dict:
    """The event as a client sees it: without its audience."""
    return {key: value for key, value in event.items() if key not in PRIVATE}


def event_frame(event: dict) -> str:
    """The event's frame, made once per process: every stream here is handed the same dict by the bus, so a
    thousand streams that see one event cost one ``json.dumps``."""
    frame = event.get("_frame")
    if frame is None:
        data = json.dumps(public(event), separators=(",", ":"), ensure_ascii=False)
        frame = event["_frame"] = f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n"
    return frame


def control_frame(name: str, **data) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


HEARTBEAT = ": heartbeat\n\n"


class EventStream:
    """What to send to one viewer, and when to check or stop; knows nothing of how it is served."""

    def __init__(
        self,
        *,
        bus: Bus,
        subscription: Subscription,
        viewer: Viewer,
        credential_failure: Callable[[], str | None],
        backlog: list[dict],
        history_gap: bool,
        heartbeat_seconds: float,
        recheck_seconds: float,
        max_seconds: float | None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.bus = bus
        self.subscription = subscription
        self.viewer = viewer
        self.credential_failure = credential_failure
        self.backlog = backlog
        self.history_gap = history_gap
        self.heartbeat_seconds = heartbeat_seconds
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        now = clock()
        self.ends_at = now + max_seconds if max_seconds else None
        self.next_check = now + recheck_seconds
        self.next_reload = now + MEMBERSHIP_RELOAD_SECONDS
        self.last_sent = now
        self.last_key = (0, 0)
        self.first = ""

    # --- what to send -----------------------------------------------------------------------

    def open(self) -> None:
        """Prepare the first write (the history to resume): in the view, where blocking is allowed."""
        self.first = self._opening()

    def _opening(self) -> str:
        frames = [f"retry: {RETRY_MILLISECONDS}\n\n"]
        if self.history_gap:
            frames.append(control_frame("reset", reason="history_gap"))
        frames.extend(self.render(self.backlog))
        self.backlog = []
        self.last_sent = self.clock()
        return "".join(frames)

    def needs_reload(self, events: list[dict]) -> bool:
        return any(self.viewer.must_reload(event) for event in events)

    def render(self, events: list[dict]) -> list[str]:
        """Frames of the events this viewer sees, in order, each once (history and live may overlap).

        May read the database (a membership changed): ``needs_reload`` says when beforehand.
        """
        frames = []
        for event in events:
            key = id_key(event["id"])
            if key <= self.last_key:
                continue
            self.last_key = key
            if self.viewer.must_reload(event):
                self.viewer.reload()
            if self.viewer.sees(event):
                frames.append(event_frame(event))
        return frames

    # --- when ---------------------------------------------------------------------------------

    def wait_seconds(self) -> float:
        now = self.clock()
        deadlines = [self.next_check, self.last_sent + self.heartbeat_seconds]
        if self.ends_at is not None:
            deadlines.append(self.ends_at)
        return max(0.0, min(deadlines) - now)

    def check_due(self) -> bool:
        return self.clock() >= self.next_check

    def check(self) -> str | None:
        """The reason to end the stream, or None; reads the credential's state (and now and then the
        memberships): blocking, off the event loop."""
        now = self.clock()
        self.next_check = now + self.recheck_seconds
        failure = self.credential_failure()
        if failure is None and now >= self.next_reload:
            self.next_reload = now + MEMBERSHIP_RELOAD_SECONDS
            self.viewer.reload()
        return failure

    def end_reason(self) -> str | None:
        if self.subscription.closed:
            return "shutdown"
        if self.ends_at is not None and self.clock() >= self.ends_at:
            return "reconnect"
        return None

    def after_wait(self, frames: list[str]) -> str:
        """What to write after a wait: the frames, or a heartbeat when nothing was sent for a while."""
        now = self.clock()
        if frames:
            self.last_sent = now
            return "".join(frames)
        if now - self.last_sent >= self.heartbeat_seconds:
            self.last_sent = now
            return HEARTBEAT
        return ""

    def close(self) -> None:
        self.bus.unsubscribe(self.subscription)


def frames_sync(stream: EventStream):
    """Serve ``stream`` from this thread (its subscription is a ``SyncSubscription``)."""
    try:
        yield stream.first
        while True:
            reason = stream.check() if stream.check_due() else None
            reason = reason or stream.end_reason()
            if reason:
                yield control_frame("end", reason=reason)
                return
            events = stream.subscription.wait(stream.wait_seconds())
            chunk = stream.after_wait(stream.render(events))
            if chunk:
                yield chunk
    finally:
        stream.close()


def off_the_loop(blocking):
    """``blocking`` (the credential check, a membership reload) as a coroutine run in the loop's shared thread
    pool, and that thread's database connection closed after it: a thousand open streams hold no thread and no
    database connection each between their checks (most of which read only the cache)."""

    def call(*args):
        try:
            return blocking(*args)
        finally:
            connections.close_all()

    return sync_to_async(call, thread_sensitive=False)


async def frames_async(stream: EventStream):
    """Serve ``stream`` from the event loop (its subscription is an ``AsyncSubscription``)."""
    stream.subscription.bind()
    shutdown_hook_install(stream.bus)
    check, render = off_the_loop(stream.check), off_the_loop(stream.render)
    try:
        yield stream.first
        while True:
            reason = await check() if stream.check_due() else None
            reason = reason or stream.end_reason()
            if reason:
                yield control_frame("end", reason=reason)
                return
            events = await stream.subscription.wait(stream.wait_seconds())
            if stream.needs_reload(events):
                frames = await render(events)
            else:
                frames = stream.render(events)
            chunk = stream.after_wait(frames)
            if chunk:
                yield chunk
    finally:
        stream.close()


_shutdown_hooked = False


def shutdown_hook_install(bus: Bus) -> None:
    """End this process's streams when the server is told to stop (SIGTERM, SIGINT).

    The ASGI server waits for open responses to finish before it stops, and a stream never finishes
    by itself: so each stream sends ``end`` (``shutdown``) at once and the server stops in
    moments, while the browsers reconnect (with ``Last-Event-ID``) to another process. The server's
    own handler is kept and called after ours. Only from the main thread, where signals are handled.
    """
    global _shutdown_hooked
    if _shutdown_hooked or threading.current_thread() is not threading.main_thread():
        return
    _shutdown_hooked = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def handler(number, frame, previous=previous):
            bus.close_all()
            if callable(previous):
                previous(number, frame)
            elif previous == signal.SIG_DFL:
                signal.default_int_handler(number, frame) if number == signal.SIGINT else sys.exit(0)

        signal.signal(signum, handler)
