"""The stream as the ASGI server drives it (``frames_async``), on this test's bus, without a server: events
published from another thread reach the event loop, heartbeats and the end on shutdown."""

import asyncio
import threading

import live.stream
from live.bus import AsyncSubscription
from live.stream import EventStream, frames_async
from live.viewer import Viewer

ORGANIZATION = "6f1c6ab0-5f4e-4a4e-9f53-8a0f7f0f0001"


def stream_for(bus, subscription, **options):
    viewer = Viewer(user_id="someone", scopes=None, organization_limit=None, roles={ORGANIZATION: 10})
    settings = {"heartbeat_seconds": 60, "recheck_seconds": 60, **options}
    return EventStream(
        bus=bus,
        subscription=subscription,
        viewer=viewer,
        credential_failure=lambda: None,
        backlog=[],
        history_gap=False,
        max_seconds=None,
        **settings,
    )


def event(title, organization=ORGANIZATION):
    return {"type": "task.created", "organization": organization, "data": {"title": title}, "audience": {}}


def test_events_published_from_another_thread_reach_the_loop_then_shutdown_ends_it(bus, monkeypatch):
    monkeypatch.setattr(live.stream, "shutdown_hook_install", lambda bus: None)  # no signal handlers in tests

    async def scenario():
        subscription = AsyncSubscription()
        bus.subscribe(subscription)
        stream = stream_for(bus, subscription)
        stream.open()
        frames = frames_async(stream)
        first = await anext(frames)
        publisher = threading.Thread(
            target=lambda: [bus.publish(event("elsewhere", organization="another")), bus.publish(event("here"))]
        )
        publisher.start()
        chunks = []
        while "here" not in "".join(chunks):
            chunks.append(await asyncio.wait_for(anext(frames), timeout=10))
        publisher.join()
        bus.close_all()
        end = await asyncio.wait_for(anext(frames), timeout=10)
        rest = [chunk async for chunk in frames]  # the end is the last frame, then the stream unsubscribes
        return first, "".join(chunks), end + "".join(rest), subscription in bus.subscribers

    first, delivered, end, still_subscribed = asyncio.run(scenario())
    assert first == "retry: 2000\n\n"
    assert "event: task.created" in delivered
    assert '"title":"here"' in delivered
    assert "elsewhere" not in delivered
    assert end == 'event: end\ndata: {"reason": "shutdown"}\n\n'
    assert not still_subscribed


def test_an_idle_async_stream_beats(bus, monkeypatch):
    monkeypatch.setattr(live.stream, "shutdown_hook_install", lambda bus: None)

    async def scenario():
        subscription = AsyncSubscription()
        bus.subscribe(subscription)
        stream = stream_for(bus, subscription, heartbeat_seconds=0)
        stream.open()
        frames = frames_async(stream)
        await anext(frames)
        beat = await asyncio.wait_for(anext(frames), timeout=10)
        await frames.aclose()
        return beat, subscription in bus.subscribers

    assert asyncio.run(scenario()) == (": heartbeat\n\n", False)
