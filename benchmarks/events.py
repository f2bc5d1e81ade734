"""Live streams: N open Server-Sent Events streams on the ASGI server, memory per stream and commit-to-delivery delay.

Creates a throwaway PostgreSQL database (on the server of ``--database-url``), migrates it and seeds one
organization with ``--users`` members, each signed in once (a session and its access token); starts a Redis
of its own and the events service as docker-compose.yml runs it (uvicorn on config/asgi.py, production
settings, ``--workers`` processes) on loopback. Then:

1. reads the server's resident memory (RSS, every uvicorn process) with no stream open (after one stream
   opened and closed, so that the code a stream runs is loaded);
2. opens ``--streams`` streams (the members' tokens in turn, as tabs would) from this process's event loop,
   each read until its opening frame; reads the RSS again: (after - before) / streams is the memory per stream;
3. a publisher process commits ``--events`` tasks through the service (``task_create``, one transaction each,
   ``--rate`` per second), as a request would; each event is stamped when its transaction commits
   (``committed_at``) and every stream records when it arrived: the delay, commit to delivery, over every
   (event, stream) pair: p50, p99, max, and how many deliveries were missed.

Bounded: the streams, the events and ``--timeout`` seconds overall; everything it started is stopped and
the database dropped at the end, on Ctrl-C too. Client and server share this machine's cores, so the delay
includes the client's own reading of 1,000 sockets.

    make benchmark NAME=events ARGS="--streams 1000 --events 100 --rate 10"
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import add_database_url_argument, run_with_servers
from devtools.processes import ROOT, UNLIMITED_CLASSES, AsgiAppServer, RedisServer, ThrowawayDatabase, production_env

REQUEST = (
    "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
    "Accept: text/event-stream\r\nX-Forwarded-Proto: https\r\n\r\n"
)


COMMITTED_AT = '"committed_at":'


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes and their children."""
    total, seen = 0, set()
    pending = list(pids)
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
        pending.extend(int(child) for child in children)
    return total


# --- set-up, in fresh processes (Django with the server's settings) -------------------------------


def seed(n_users: int) -> None:
    """``--seed N``: an organization, N members each signed in once: prints their tokens as JSON."""
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from organizations.models import Role
    from organizations.services import membership_add, organization_create
    from sessions_app.services import session_create

    # No password (hashing one costs production's iterations each): they are signed in below, not by a form.
    users = [
        User.objects.create(
            email=f"stream{i}@events.example", username=f"stream_user{i}", email_verified_at=timezone.now()
        )
        for i in range(n_users)
    ]
    organization = organization_create(name="Streams", created_by=users[0])
    for user in users[1:]:
        membership_add(organization=organization, email=user.email, role=Role.MEMBER, actor=users[0])
    tokens = [str(session_create(user=user)[1]["access"]) for user in users]
    print(json.dumps({"organization": str(organization.pk), "owner": str(users[0].pk), "tokens": tokens}))


def publish(organization_id: str, owner_id: str, events: int, rate: float) -> None:
    """``--publish``: commit ``events`` tasks through the service, ``rate`` per second."""
    import django

    django.setup()
    from accounts.models import User
    from organizations.models import Organization
    from tasks_app.services import task_create

    organization, owner = Organization.objects.get(pk=organization_id), User.objects.get(pk=owner_id)
    started = time.monotonic()
    for i in range(events):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        task_create(organization=organization, created_by=owner, title=f"Live {i}")


def run_django(args: list[str], env: dict, timeout: float) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], cwd=ROOT, env=env, check=True, timeout=timeout, capture_output=True, text=True
    )
    return done.stdout


# --- the client: every stream on one event loop ----------------------------------------------------


class Stream:
    def __init__(self):
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.buffer = ""
        self.opened = asyncio.Event()

    async def open(self, port: int, token: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(REQUEST.format(token=token).encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace").splitlines()[0])

    async def frames(self):
        """Each SSE frame's text, as its chunk arrives (chunked transfer encoding)."""
        while True:
            size = int((await self.reader.readline()).strip() or b"0", 16)
            if size == 0:
                return
            chunk = (await self.reader.readexactly(size + 2))[:-2].decode()
            self.buffer += chunk
            *frames, self.buffer = self.buffer.split("\n\n")
            for frame in frames:
                yield frame

    async def read(self, arrivals: list[float], expected: int) -> None:
        async for frame in self.frames():
            if frame.startswith("retry:"):
                self.opened.set()
                continue
            if not frame.startswith("id:"):
                continue
            # The stamp without parsing the whole JSON: the client shares the machine's cores with the server.
            stamp = frame.index(COMMITTED_AT) + len(COMMITTED_AT)
            arrivals.append(time.time() - float(frame[stamp : frame.index(",", stamp)]))
            expected -= 1
            if expected == 0:
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def open_streams(port: int, tokens: list[str], n: int, events: int, arrivals: list[float], deadline: float):
    streams, readers = [], []
    gate = asyncio.Semaphore(50)  # connections being opened at once

    async def one(i: int):
        stream = Stream()
        async with gate:
            await stream.open(port, tokens[i % len(tokens)])
            streams.append(stream)
            readers.append(asyncio.ensure_future(stream.read(arrivals, events)))
            await asyncio.wait_for(stream.opened.wait(), timeout=max(1.0, deadline - time.monotonic()))

    await asyncio.gather(*(one(i) for i in range(n)))
    return streams, readers


async def measure(args, server: AsgiAppServer, env: dict, seeded: dict) -> None:
    deadline = time.monotonic() + args.timeout
    # One stream opened and closed first, so the code a stream runs is loaded before "idle" is read.
    warm, warm_readers = await open_streams(server.port, seeded["tokens"], 1, 1, [], deadline)
    warm[0].close()
    warm_readers[0].cancel()
    await asyncio.sleep(1)
    idle = rss_bytes([server.process.pid])
    arrivals: list[float] = []
    opening = time.monotonic()
    streams, readers = await open_streams(server.port, seeded["tokens"], args.streams, args.events, arrivals, deadline)
    print(f"opened {len(streams)} streams in {time.monotonic() - opening:.1f} s", flush=True)
    await asyncio.sleep(2)  # let the server settle (its allocations for the streams done)
    held = rss_bytes([server.process.pid])
    threads = len(list(Path(f"/proc/{server.process.pid}/task").iterdir()))
    cpu_before = cpu_seconds(server.process.pid)
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.events", "--publish", seeded["organization"], seeded["owner"],
        str(args.events), str(args.rate), cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        await asyncio.wait_for(asyncio.gather(*readers), timeout=max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        print(f"timed out after {args.timeout} s: reporting what arrived", flush=True)
    finally:
        if publisher.returncode is None:
            publisher.kill()
        await publisher.wait()
        cpu = cpu_seconds(server.process.pid) - cpu_before
        for reader in readers:
            reader.cancel()
        for stream in streams:
            stream.close()
    per_stream = (held - idle) / max(1, len(streams))
    expected = args.events * len(streams)
    print(f"server RSS: {idle / 2**20:.1f} MiB idle, {held / 2**20:.1f} MiB with {len(streams)} streams")
    print(f"memory per stream: {per_stream / 1024:.1f} KiB; threads of the server's first process: {threads}")
    if arrivals:
        print(f"server CPU while delivering: {cpu:.1f} s, {cpu / len(arrivals) * 1e6:.0f} us per delivery")
        print(
            f"delay commit -> delivery over {len(arrivals)} deliveries ({args.events} events x {len(streams)} streams,"
            f" {expected - len(arrivals)} missed): p50 {percentile(arrivals, 0.5) * 1000:.1f} ms,"
            f" p99 {percentile(arrivals, 0.99) * 1000:.1f} ms, max {max(arrivals) * 1000:.1f} ms"
        )


def run(args) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, args.streams * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # this client and the server it starts
    if wanted < args.streams + 64:
        sys.exit(f"too few file descriptors for {args.streams} streams (ulimit -n {wanted})")
    database = ThrowawayDatabase(args.database_url, prefix="workspace_events_bench")
    redis = server = None
    try:
        database.create()
        redis = RedisServer().start()
        env = production_env(
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database.url,
            REDIS_URL=redis.url,
            JWT_ACCESS_MINUTES="600",
            **UNLIMITED_CLASSES,  # a thousand streams open from one address
        )
        run_django(["manage.py", "migrate", "--noinput", "-v0"], env, timeout=600)
        seeded = json.loads(
            run_django(["-m", "benchmarks.events", "--seed", str(args.users)], env, 300).splitlines()[-1]
        )
        server = AsgiAppServer(env, workers=args.workers).start()
        print(f"uvicorn, {args.workers} process(es), PostgreSQL and Redis on loopback; {args.users} people", flush=True)
        asyncio.run(measure(args, server, env, seeded))
    except Exception:
        if server is not None:
            print(server.log_tail(40))
        raise
    finally:
        for process in (server, redis):
            if process is not None:
                process.stop()
        database.drop()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--seed"]:
        seed(int(argv[1]))
        return
    if argv[:1] == ["--publish"]:
        publish(argv[1], argv[2], int(argv[3]), float(argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_url_argument(parser)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100, help="people signed in; the streams use their tokens in turn")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10, help="events committed per second")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--timeout", type=float, default=180, help="seconds, overall, before it reports and stops")
    args = parser.parse_args(argv)
    run_with_servers("events", run, args)


if __name__ == "__main__":
    main()
