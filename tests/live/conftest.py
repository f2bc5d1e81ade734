import json
import uuid

import pytest

from live.bus import RedisBus, get_bus, reset_bus

EVENTS = "/api/v1/events"
TICKETS = "/api/v1/events/tickets"
TASKS = "/api/v1/tasks"


@pytest.fixture(autouse=True)
def bus(settings):
    """A bus of this test's own: the configured kind (Redis with REDIS_URL), on a key no one else uses."""
    settings.EVENTS_STREAM_KEY = f"live:test:{uuid.uuid4()}"
    reset_bus()
    bus = get_bus()
    yield bus
    if isinstance(bus, RedisBus):
        bus.client.delete(settings.EVENTS_STREAM_KEY)
    reset_bus()


def parse(chunk: str) -> list[dict]:
    """SSE frames as dicts: ``{"id", "event", "data", "retry", "comment"}`` (what each frame has)."""
    frames = []
    for block in chunk.split("\n\n"):
        if not block:
            continue
        frame = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                frame["comment"] = value
            elif name == "data":
                frame["data"] = json.loads(value)
            else:
                frame[name] = value
        frames.append(frame)
    return frames


class Stream:
    """An open stream read through the test client: ``next_frames()`` waits for the next write."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.streaming_content)

    def next_frames(self) -> list[dict]:
        chunk = next(self.chunks)
        return parse(chunk.decode() if isinstance(chunk, bytes) else chunk)

    def next_events(self) -> list[dict]:
        return [frame for frame in self.next_frames() if "id" in frame]

    def close(self):
        self.response.close()


@pytest.fixture
def open_stream():
    """``open_stream(client, **headers)``: the stream, its first write read (``stream.opening``)."""
    streams = []

    def open_(client, path=EVENTS, **headers):
        response = client.get(path, **headers)
        assert response.status_code == 200, response.content
        stream = Stream(response)
        stream.opening = stream.next_frames()
        streams.append(stream)
        return stream

    yield open_
    for stream in streams:
        stream.close()


@pytest.fixture
def create_task(django_capture_on_commit_callbacks):
    """``create_task(client, org, title)`` through the API, its commit's callbacks run (so it is published)."""

    def create(client, organization, title="A task", **fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(TASKS, {"organization": str(organization.id), "title": title, **fields})
        assert response.status_code == 201, response.content
        return response.json()

    return create
