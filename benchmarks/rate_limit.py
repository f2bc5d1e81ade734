"""What the rate limiter adds to a request: one count alone, and a signed-in read with and without it.

Compares, in one run: ``count_request`` alone (one Lua script on Redis, or the lock and the
in-process cache), and ``GET /api/v1/users/me`` through the whole stack with the limiter (DRF's
throttle, the middleware and its RateLimit fields) and with both taken out.
"""

from benchmarks.harness import api_getter, run_timings, signed_in_client, time_interleaved


def run(iterations: int) -> dict:
    from django.conf import settings
    from django.test import RequestFactory, override_settings

    from accounts.services import user_create
    from config import ratelimit

    user = user_create(email="bench@example.com", username="bench", password=None)
    # Limits no run reaches: every request is counted and passes.
    unlimited = dict.fromkeys(settings.RATE_LIMITS, "1000000000/m")
    with override_settings(RATE_LIMITS=unlimited):
        limited = api_getter(signed_in_client(user), "/api/v1/users/me")
        without_middleware = [name for name in settings.MIDDLEWARE if name != "config.ratelimit.RateLimitMiddleware"]
        with override_settings(MIDDLEWARE=without_middleware):
            plain_get = api_getter(signed_in_client(user), "/api/v1/users/me")
            plain_get()  # the client's handler loads its middleware now, without the limiter's

        throttle = ratelimit.throttle

        def unlimited_get():
            ratelimit.throttle = lambda request, view: None
            try:
                plain_get()
            finally:
                ratelimit.throttle = throttle

        request = RequestFactory().get("/api/v1/users/me", REMOTE_ADDR="198.51.100.1")
        results = time_interleaved(
            {
                "count_request alone": lambda: ratelimit.count_request(request, rate_class="read"),
                "GET /users/me without the limiter": unlimited_get,
                "GET /users/me with the limiter": limited,
            },
            iterations=iterations,
        )
    results["added per request"] = (
        results["GET /users/me with the limiter"] - results["GET /users/me without the limiter"]
    )
    return results


def main(argv=None):
    run_timings(
        __doc__,
        run,
        argv=argv,
        default_iterations=1000,
        title="rate limit ({backends}, {iterations} iterations, median of 7 interleaved rounds)",
        unit="µs",
    )


if __name__ == "__main__":
    main()
