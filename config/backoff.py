"""The one backoff policy, for job rows (``config.jobs``) and for Celery's own retries (``config.celery``).

Kept free of models so the Celery app can use it before Django's apps are loaded.
"""

import random


def retry_delay(*, attempts: int, base: float, maximum: float, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, so retries spread out.

    ``retry_after`` (a server's Retry-After) is honoured up to ``maximum``.
    """
    step = min(maximum, base * 2 ** max(0, attempts - 1))
    delay = step / 2 + random.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay
