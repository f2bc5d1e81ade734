"""The one backoff policy, for job rows (``config.jobs``), Celery's own retries (``config.celery``) and
``manage.py wait_for_db``.

Kept free of models so the Celery app can use it before Django's apps are loaded.
"""

import random


def backoff_step(*, attempts: int, base: float, maximum: float) -> float:
    """The exponential step of attempt ``attempts`` (1, 2, 3...): base, 2 x base, 4 x base..., capped at maximum."""
    return min(maximum, base * 2 ** max(0, attempts - 1))


def retry_delay(*, attempts: int, base: float, maximum: float, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, so retries spread out.

    ``retry_after`` (a server's Retry-After) is honoured up to ``maximum``.
    """
    step = backoff_step(attempts=attempts, base=base, maximum=maximum)
    delay = step / 2 + random.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay
