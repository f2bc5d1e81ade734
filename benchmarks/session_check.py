"""What the per-request session check adds to JWT authentication.

Compares, in one run: simplejwt's plain ``JWTAuthentication`` (signature, expiry, user
load) with our ``SessionJWTAuthentication`` (the same plus the session check), and the
session check alone, warm (cached state) and cold (state read from the database).
"""

from benchmarks.harness import run_timings, time_interleaved, time_per_call


def run(iterations: int) -> dict:
    from django.core.cache import cache
    from rest_framework.test import APIRequestFactory
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from accounts.services import user_create
    from sessions_app import session_state
    from sessions_app.authentication import SessionJWTAuthentication
    from sessions_app.services import session_create

    user = user_create(email="bench@example.com", username="bench", password=None)
    session, tokens = session_create(user=user)
    factory = APIRequestFactory()

    def request():
        return factory.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    plain, ours = JWTAuthentication(), SessionJWTAuthentication()
    assert ours.authenticate(request())[0] == user

    def cold_check():
        cache.delete(f"session-state:{session.pk}")
        session_state.check(session.pk, user.pk)

    results = time_interleaved(
        {
            "plain simplejwt authenticate": lambda: plain.authenticate(request()),
            "session-checked authenticate": lambda: ours.authenticate(request()),
            "session check alone, cached": lambda: session_state.check(session.pk, user.pk),
        },
        iterations=iterations,
    )
    results["session check alone, cold (cache miss)"] = time_per_call(cold_check, iterations=max(iterations // 5, 50))
    results["added per request"] = results["session-checked authenticate"] - results["plain simplejwt authenticate"]
    return results


def main(argv=None):
    run_timings(
        __doc__,
        run,
        argv=argv,
        default_iterations=2000,
        title="session check ({backends}, {iterations} iterations, median of 7 interleaved rounds)",
        unit="µs",
    )


if __name__ == "__main__":
    main()
