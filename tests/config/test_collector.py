"""The web worker's garbage collector (``config/collector.py``): once warm, what the worker keeps is frozen out of
the collector's reach, once; gunicorn's configuration asks for it in every worker."""

import gc
import weakref

import pytest

from config.collector import freeze_when_warm

pytestmark = pytest.mark.django_db


class Cycle:
    itself = None


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_worker_freezes_once_after_its_warm_up_requests(auth_client, unfrozen):
    freeze_when_warm(requests=3)
    for _ in range(2):
        assert auth_client.get("/api/v1/users/me").status_code == 200
    assert gc.get_freeze_count() == 0
    garbage = Cycle()
    garbage.itself = garbage
    gone = weakref.ref(garbage)
    del garbage  # garbage when the freeze comes: collected first, not frozen
    assert auth_client.get("/api/v1/users/me").status_code == 200
    assert gc.get_freeze_count() > 1000  # the modules, Django's caches...
    assert gone() is None
    gc.unfreeze()
    for _ in range(5):
        assert auth_client.get("/api/v1/users/me").status_code == 200
    assert gc.get_freeze_count() == 0  # once: the counter is gone


def test_gunicorns_workers_freeze_when_warm(monkeypatch):
    from pathlib import Path

    from config import collector

    asked = []
    monkeypatch.setattr(collector, "freeze_when_warm", lambda: asked.append(True))
    path = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"
    namespace = {"__file__": str(path)}
    exec(compile(path.read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    namespace["post_worker_init"](worker=None)
    assert asked == [True]
