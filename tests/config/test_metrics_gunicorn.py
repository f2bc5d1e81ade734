"""/metrics under gunicorn as the image runs it (config/gunicorn.conf.py, production settings, two worker
processes): whichever worker answers the scrape, it counts the requests of both (prometheus_client's
multiprocess mode), and files left by a previous run are not counted."""

import time

import pytest

from devtools.processes import ROOT, AppServer, RedisServer, production_env
from tests.config.test_metrics import TOKEN, samples, value

pytestmark = pytest.mark.deployment


def test_two_workers_figures_add_up_in_every_scrape(tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by a previous run")  # wiped at start, or the scrape fails
    redis = RedisServer().start()
    server = AppServer(
        production_env(
            REDIS_URL=redis.url,
            METRICS_TOKEN=TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="2",
        )
    )
    server.options = ["--config", str(ROOT / "config" / "gunicorn.conf.py")]
    try:
        server.start()
        labels = {"method": "GET", "route": "/health/live", "status": "200"}

        def served():
            reply = server.request("GET", "/metrics", token=TOKEN)
            assert reply.status == 200, reply.body
            return samples(reply.body)

        before = value(served(), "workspace_http_requests_total", **labels)  # the start's readiness checks
        sent = 0
        deadline = time.monotonic() + 10
        # New connections until both workers have answered some (each then has its own file).
        while len({path.name.split("_")[1] for path in metrics_dir.glob("counter_*.db")}) < 2 or sent < 20:
            assert time.monotonic() < deadline, "one worker answered every request"
            assert server.request("GET", "/health/live").status == 200
            sent += 1
        for _ in range(4):  # several scrapes: any worker may answer each
            found = served()
            assert value(found, "workspace_http_requests_total", **labels) == before + sent
        assert value(found, "workspace_metrics_redis_up") == 1
        assert server.request("GET", "/metrics").status == 404
    finally:
        server.stop()
        redis.stop()
