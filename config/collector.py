"""Python's cyclic garbage collector in a web worker: what the worker keeps for its life moved out of its reach once
the worker is warm (docs/performance.md, "The sixth round", for the figures).

A full collection (generation 2) walks every object the process tracks: in a warm web worker a few hundred thousand
(the modules, Django's URL resolver, DRF's and the filters' classes and fields, the caches), and every thread of
that worker waits meanwhile (the GIL). Under load, such a pause every few thousand requests was most of the task
list's p99.

``gc.freeze()`` moves every object the collector tracks into a permanent generation that no collection walks. A
worker that has served ``WARM_REQUESTS`` requests has built what it builds lazily (Django's and DRF's first-use
caches); it then collects once (the garbage of that moment is freed) and freezes, and its later full collections
walk only what came after. What is frozen is never freed even if it later becomes garbage: the objects of the
requests in flight at that moment, once per worker. ``gunicorn.conf.py``'s ``post_worker_init`` calls
``freeze_when_warm()``; no other process needs it.
"""

import gc
import itertools
import threading

from django.core.signals import request_finished

WARM_REQUESTS = 200


def freeze_when_warm(requests: int = WARM_REQUESTS) -> None:
    """After this process's next ``requests`` requests, collect once and freeze what the collector tracks."""
    served, lock = itertools.count(1), threading.Lock()

    def count(sender, **kwargs):
        with lock:  # one thread freezes, once
            if next(served) != requests:
                return
            request_finished.disconnect(count)
        gc.collect()
        gc.freeze()

    request_finished.connect(count, weak=False)
