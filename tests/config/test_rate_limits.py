"""Rate limits on every endpoint class, through the API: the RateLimit fields, 429, who is counted, which class.

The limiter is config/ratelimit.py; what a frontend reads of it is docs/api/rate-limits.md. The guess limits of
sign-in and the other credential endpoints are tested beside them (tests/sessions_app/test_rate_limits.py).
"""

import importlib
import io
import logging
import math
import os
import random
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import get_resolver

from config import ratelimit
from config.ratelimit import RATE_LIMIT_CLASSES
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
TASKS = "/api/v1/tasks"
LOGIN = "/api/v1/auth/login"
PROVIDERS = "/api/v1/oauth/providers"  # public: a read anyone may make
SERVER_METADATA = "/.well-known/oauth-authorization-server"  # a plain Django view, outside DRF
FIELDS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@pytest.fixture
def limits(settings):
    """``RATE_LIMITS`` of this test, to set low: ``limits["read_user"] = "3/m"``."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS}
    return settings.RATE_LIMITS


def fields(response) -> dict[str, str]:
    return {name: response[name] for name in FIELDS if name in response}


def remaining(response) -> int:
    return int(response["RateLimit-Remaining"])


def assert_429(response, *, retry_after: int | None = None):
    assert response.status_code == 429, response.content
    assert response.json()["errors"][0]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    if retry_after is not None:
        assert int(response["Retry-After"]) == retry_after
    assert response["RateLimit-Remaining"] == "0"


def create_task(client, org, title="Rate limited?"):
    return client.post(TASKS, {"organization": str(org.id), "title": title})


# --- The fields on every answer ---------------------------------------------------------------


def test_a_signed_in_read_carries_the_fields_of_its_limit(client_for, user, limits):
    limits["read_user"] = "5/m"
    client = client_for(user)
    first, second = client.get(ME), client.get(ME)
    assert first.status_code == second.status_code == 200
    # 5 per 60 s: one comes back every 12 s, so after one request the whole limit is back in 12 s.
    assert fields(first) == {
        "RateLimit-Limit": "5",
        "RateLimit-Remaining": "4",
        "RateLimit-Reset": "12",
        "RateLimit-Policy": "5;w=60",
    }
    assert fields(second)["RateLimit-Remaining"] == "3"
    assert fields(second)["RateLimit-Reset"] == "24"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (ME, 401),  # DRF refuses before its throttle: counted on the way out
        ("/api/v1/no-such-endpoint", 404),  # no route: the API's catch-all
        (f"{TASKS}/{uuid.UUID(int=1)}", 401),  # fixed: pytest-xdist processes must collect the same ids
        (PROVIDERS, 200),
        (SERVER_METADATA, 200),  # outside DRF: counted before the view
        ("/mcp", 401),
        ("/no-such-page", 404),  # no route at all
    ],
)
def test_anonymous_answers_of_every_kind_carry_the_fields(api_client, limits, path, status):
    limits["anonymous_ip"] = "50/m"
    response = api_client.get(path)
    assert response.status_code == status
    assert set(fields(response)) == set(FIELDS)
    assert response["RateLimit-Limit"] == "50"


def test_signed_in_errors_carry_the_fields(client_for, org, limits):
    limits["read_user"] = "50/m"
    limits["write_user"] = "40/m"
    client = client_for(org.users["viewer"])
    missing = client.get(f"{TASKS}/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert (missing["RateLimit-Limit"], missing["RateLimit-Remaining"]) == ("50", "49")
    refused = create_task(client, org)  # a viewer may not write
    assert refused.status_code == 403
    assert (refused["RateLimit-Limit"], refused["RateLimit-Remaining"]) == ("40", "39")
    invalid = client.post(TASKS, {"organization": "junk"})
    assert invalid.status_code == 400
    assert invalid["RateLimit-Remaining"] == "38"


def test_the_health_probes_are_never_limited(api_client, limits):
    limits["anonymous_ip"] = "1/m"
    for _ in range(5):
        for path in ("/health/live", "/health"):
            response = api_client.get(path)
            assert response.status_code == 200
            assert not fields(response)
    assert api_client.get(PROVIDERS).status_code == 200  # the probes used none of the address's budget


# --- 429 and Retry-After ---------------------------------------------------------------------


def test_over_the_limit_answers_429_with_retry_after_and_comes_back(client_for, user, limits, rate_limit_clock):
    limits["read_user"] = "3/m"
    client = client_for(user)
    assert [remaining(client.get(ME)) for _ in range(3)] == [2, 1, 0]
    refused = client.get(ME)
    assert_429(refused, retry_after=20)  # one request comes back every 20 s
    assert refused["RateLimit-Limit"] == "3"
    assert refused["RateLimit-Reset"] == "60"

    rate_limit_clock.advance(19)
    assert_429(client.get(ME), retry_after=1)
    rate_limit_clock.advance(1)
    assert client.get(ME).status_code == 200
    assert_429(client.get(ME))


def test_a_refused_request_uses_nothing(client_for, user, limits, rate_limit_clock):
    """Retrying while refused does not push the wait further out."""
    limits["read_user"] = "2/m"
    client = client_for(user)
    client.get(ME), client.get(ME)
    for _ in range(10):
        assert_429(client.get(ME), retry_after=30)
    rate_limit_clock.advance(30)
    assert client.get(ME).status_code == 200


def test_a_refusal_before_the_view_runs_changes_nothing(client_for, org, limits):
    limits["write_user"] = "1/m"
    client = client_for(org.users["member"])
    assert create_task(client, org, title="First").status_code == 201
    assert_429(create_task(client, org, title="Second"))
    from tasks_app.models import Task

    assert list(Task.objects.values_list("title", flat=True)) == ["First"]


def test_an_anonymous_401_over_the_limit_becomes_429(api_client, limits):
    limits["anonymous_ip"] = "2/m"
    assert [api_client.get(ME).status_code for _ in range(2)] == [401, 401]
    assert_429(api_client.get(ME))


def test_a_garbage_token_is_counted_against_the_address(api_client, limits):
    """Tokens that authenticate no one cannot be sprayed without limit."""
    limits["anonymous_ip"] = "3/m"
    for n in range(3):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer not-a-token-{n}")
        assert api_client.get(TASKS).status_code == 401
    assert_429(api_client.get(TASKS))


# --- Who is counted: per user, per client IP ---------------------------------------------------


def test_two_users_on_one_address_each_have_their_own_limit(client_for, limits):
    limits["read_user"] = "2/m"
    alice, bob = client_for(UserFactory()), client_for(UserFactory())
    for client in (alice, bob):
        assert [client.get(ME).status_code for _ in range(2)] == [200, 200]
    assert_429(alice.get(ME))
    assert_429(bob.get(ME))


def test_one_user_on_two_addresses_has_one_limit(client_for, user, limits):
    limits["read_user"] = "2/m"
    client = client_for(user)
    assert client.get(ME, REMOTE_ADDR="198.51.100.1").status_code == 200
    assert client.get(ME, REMOTE_ADDR="203.0.113.1").status_code == 200
    assert_429(client.get(ME, REMOTE_ADDR="192.0.2.1"))


def test_one_user_through_two_credentials_has_one_limit(client_for, client_with_token, org, limits):
    """A personal access token counts against its owner, as the owner's session does."""
    limits["read_user"] = "2/m"
    owner = org.users["owner"]
    session, token = (
        client_for(owner),
        client_with_token(owner, scopes=["tasks:read"], organizations=[org.organization]),
    )
    assert session.get(TASKS).status_code == 200
    assert token.get(TASKS).status_code == 200
    assert_429(token.get(TASKS))
    assert_429(session.get(TASKS))


def test_anonymous_callers_are_counted_per_address(api_client, limits):
    limits["read_ip"] = "2/m"
    for _ in range(2):
        assert api_client.get(PROVIDERS, REMOTE_ADDR="198.51.100.1").status_code == 200
    assert_429(api_client.get(PROVIDERS, REMOTE_ADDR="198.51.100.1"))
    assert api_client.get(PROVIDERS, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(api_client, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits["read_ip"] = "2/m"
    for forged in ("10.0.0.1", "10.0.0.2"):  # what the client wrote left of the proxy's entry is ignored
        response = api_client.get(PROVIDERS, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.7")
        assert response.status_code == 200
    assert_429(api_client.get(PROVIDERS, HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert api_client.get(PROVIDERS, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


# --- Which class ---------------------------------------------------------------------------------


def test_reads_do_not_use_the_write_budget_nor_writes_the_read_budget(client_for, org, limits):
    limits["read_user"] = "2/m"
    limits["write_user"] = "2/m"
    client = client_for(org.users["member"])
    assert [client.get(TASKS).status_code for _ in range(2)] == [200, 200]
    assert_429(client.get(TASKS))
    created = create_task(client, org)
    assert created.status_code == 201
    assert (created["RateLimit-Limit"], created["RateLimit-Remaining"]) == ("2", "1")
    assert create_task(client, org).status_code == 201
    assert_429(create_task(client, org))


def test_a_csv_upload_counts_as_an_upload_and_listing_imports_as_a_read(client_for, org, limits):
    limits["upload_user"] = "1/h"
    limits["write_user"] = "50/m"
    client = client_for(org.users["admin"])
    url = f"/api/v1/organizations/{org.id}/imports"

    def upload():
        file = SimpleUploadedFile("tasks.csv", b"title\nImported\n", content_type="text/csv")
        return client.post(url, {"file": file, "kind": "tasks"}, format="multipart")

    first = upload()
    assert first.status_code == 202, first.content
    assert (first["RateLimit-Limit"], first["RateLimit-Policy"]) == ("1", "1;w=3600")
    assert_429(upload(), retry_after=3600)
    assert client.get(url).status_code == 200
    assert create_task(client, org).status_code == 201  # writes have their own budget


def test_report_exports_count_as_exports(client_for, org, limits):
    limits["export_user"] = "1/h"
    client = client_for(org.users["member"])
    url = f"/api/v1/reports/{org.id}/exports"
    first = client.post(url, {"format": "csv"})
    assert first.status_code == 202, first.content
    assert first["RateLimit-Policy"] == "1;w=3600"
    assert_429(client.post(url, {"format": "csv"}))
    listed = client.get(url)
    assert listed.status_code == 200
    assert listed["RateLimit-Limit"] != "1"  # a read
    assert_429(client.get(f"/api/v1/reports/exports/{first.json()['id']}/download"))  # the download is an export


def test_sign_in_counts_as_auth_beside_its_own_guess_limits(api_client, user, limits):
    limits["auth_ip"] = "3/m"
    for _ in range(3):
        assert api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert_429(api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))
    assert api_client.get(PROVIDERS).status_code == 200  # reads are another class


def test_every_view_names_a_known_class():
    """A typo in ``rate_limit_class`` would answer 500; every class has a limit per user and per IP."""
    from django.conf import settings

    declared = {}
    for view in _views(get_resolver().url_patterns):
        value = getattr(view, "rate_limit_class", None)
        if value is not None:
            declared[view.__qualname__] = set(value.values()) if isinstance(value, dict) else {value}
    assert {"LoginView", "OrganizationImportViewSet", "ReportExportViewSet", "SignInView"} <= set(declared)
    assert {name: classes for name, classes in declared.items() if not classes <= set(RATE_LIMIT_CLASSES)} == {}
    for rate_class in RATE_LIMIT_CLASSES:
        ratelimit.parse_rate(settings.RATE_LIMITS[f"{rate_class}_user"])
        ratelimit.parse_rate(settings.RATE_LIMITS[f"{rate_class}_ip"])


def _views(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern.url_patterns)
        else:
            view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if view is not None:
                yield view


# --- Sliding, not fixed windows -------------------------------------------------------------------


def test_a_burst_across_a_window_boundary_passes_the_limit_once_not_twice(client_for, user, limits, rate_limit_clock):
    """Fixed one-minute windows would let 10 through just before a minute ends and 10 more just after."""
    limits["read_user"] = "10/m"
    client = client_for(user)
    rate_limit_clock.now = math.floor(rate_limit_clock.now / 60) * 60 + 59.5  # half a second before a minute ends
    before = [client.get(ME).status_code for _ in range(10)]
    rate_limit_clock.advance(1)  # half a second into the next minute
    after = [client.get(ME).status_code for _ in range(10)]
    assert before == [200] * 10
    assert after == [429] * 10

    rate_limit_clock.advance(6)  # one request comes back every 6 s
    assert [client.get(ME).status_code for _ in range(2)] == [200, 429]
    rate_limit_clock.advance(60)  # the whole limit is back after a quiet minute
    assert [client.get(ME).status_code for _ in range(11)] == [200] * 10 + [429]


@pytest.mark.parametrize("seed", range(3))
def test_no_stretch_of_time_passes_more_than_the_limit_plus_what_refilled(limits, rate_limit_clock, seed):
    """N per W passes at most N + t·N/W requests in any t seconds, whatever the timing."""
    limits["read_ip"] = "20/m"
    limits["anonymous_ip"] = "1000/m"
    randomly = random.Random(seed)
    request = RequestFactory().get(PROVIDERS, REMOTE_ADDR="198.51.100.4")
    passed = []
    for _ in range(600):
        rate_limit_clock.advance(randomly.choice([0, 0, 0, 0.05, 0.5, 2, 7]))
        if ratelimit.count_request(request, rate_class="read") is None:
            passed.append(rate_limit_clock.now)
    assert len(passed) > 20
    for i, start in enumerate(passed):
        for j in range(i, len(passed)):
            span = passed[j] - start
            assert j - i + 1 <= 20 + (span + 1e-3) * 20 / 60, (i, j, span)


# --- The anonymous ceiling -------------------------------------------------------------------------


def test_the_anonymous_ceiling_holds_across_classes_and_paths(api_client, user, limits):
    limits["anonymous_ip"] = "5/m"
    answers = [
        api_client.get(PROVIDERS).status_code,
        api_client.post(LOGIN, {"email": user.email, "password": "wrong"}).status_code,
        api_client.get(SERVER_METADATA).status_code,
        api_client.get("/api/v1/no-such-endpoint").status_code,
        api_client.post("/mcp", {}).status_code,
    ]
    assert answers == [200, 401, 200, 404, 401]
    for path in (PROVIDERS, SERVER_METADATA, "/mcp", ME, "/api/v1/oauth/provider/token"):
        assert_429(api_client.get(path))
    assert api_client.get(PROVIDERS, REMOTE_ADDR="198.51.100.3").status_code == 200


def test_views_outside_drf_are_refused_before_they_run(api_client, limits, monkeypatch):
    """The OAuth token endpoint (django-oauth-toolkit, not DRF) counts as auth, per client IP."""
    from oauth_server.views import TokenView

    ran = []
    original = TokenView.post
    monkeypatch.setattr(
        TokenView, "post", lambda view, request, *a, **kw: ran.append(1) or original(view, request, *a, **kw)
    )
    limits["auth_ip"] = "1/m"
    token = "/api/v1/oauth/provider/token"
    assert (
        api_client.post(token, "grant_type=password", content_type="application/x-www-form-urlencoded").status_code
        == 400
    )
    refused = api_client.post(token, "grant_type=password", content_type="application/x-www-form-urlencoded")
    assert_429(refused)
    assert refused["RateLimit-Limit"] == "1"
    assert ran == [1]


def test_signed_in_callers_are_not_under_the_anonymous_ceiling(client_for, user, limits):
    limits["anonymous_ip"] = "2/m"
    client = client_for(user)
    assert [client.get(ME).status_code for _ in range(5)] == [200] * 5


def test_the_default_ceiling_is_100_a_minute(settings):
    from config.settings.ratelimits import rate_limits

    assert rate_limits()["anonymous_ip"] == "100/m"
    assert ratelimit.parse_rate("100/m") == ratelimit.Rate(limit=100, window=60)


# --- Configuration ------------------------------------------------------------------------------


def test_each_limit_is_set_by_the_environment_and_development_raises_only_the_defaults(monkeypatch):
    from config.settings.ratelimits import rate_limits

    monkeypatch.setenv("RATELIMIT_READ_USER", "7/m")
    monkeypatch.setenv("RATELIMIT_LOGIN_ACCOUNT", "3/15m")
    production = rate_limits()
    assert (production["read_user"], production["login_account"]) == ("7/m", "3/15m")
    assert (production["write_user"], production["upload_user"], production["auth_ip"]) == ("120/m", "20/h", "60/m")
    development = rate_limits(classes=100, guesses=100)
    assert (development["read_user"], development["login_account"]) == ("7/m", "3/15m")  # as set
    assert (development["write_user"], development["login_ip"]) == ("12000/m", "2000/m")


def test_a_limit_from_the_environment_reaches_the_fields(client_for, user, settings, monkeypatch):
    from config.settings.ratelimits import rate_limits

    monkeypatch.setenv("RATELIMIT_READ_USER", "7/15m")
    settings.RATE_LIMITS = rate_limits()
    assert client_for(user).get(ME)["RateLimit-Policy"] == "7;w=900"


@pytest.mark.parametrize("rate", ["", "10", "ten/m", "10/w", "0/m", "10/m/h", "-1/m"])
def test_a_malformed_rate_is_refused_by_name(rate):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="Not a rate"):
        ratelimit.parse_rate(rate)


@pytest.mark.parametrize(("rate", "limit", "window"), [("10/s", 10, 1), ("10/15m", 10, 900), ("3/d", 3, 86400)])
def test_rates_name_a_count_and_a_window(rate, limit, window):
    assert ratelimit.parse_rate(rate) == ratelimit.Rate(limit=limit, window=window)


def _development_rate_limits(monkeypatch) -> dict:
    """RATE_LIMITS as ``make run`` has them (config/settings/local.py), whatever this machine's .env says."""
    for name in [name for name in os.environ if name.startswith("RATELIMIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DJANGO_READ_DOT_ENV_FILE", "false")
    import config.settings.local as local

    return importlib.reload(local).RATE_LIMITS


def test_development_never_locks_the_demo_account_out(api_client, settings, monkeypatch):
    """The first hour: a person getting the sign-in form right is not locked out for 15 minutes."""
    from django.core.management import call_command

    from tasks_app.management.commands.seed_demo import DEMO_PASSWORD

    call_command("seed_demo", stdout=io.StringIO())
    settings.RATE_LIMITS = _development_rate_limits(monkeypatch)
    for _ in range(30):
        assert api_client.post(LOGIN, {"email": "owner@demo.example", "password": "not-yet"}).status_code == 401
    signed_in = api_client.post(LOGIN, {"email": "owner@demo.example", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200, signed_in.content
    assert int(signed_in["RateLimit-Remaining"]) > 900


def test_production_defaults_lock_an_account_after_ten_wrong_passwords(api_client, user, settings, monkeypatch):
    from config.settings.ratelimits import rate_limits

    settings.RATE_LIMITS = rate_limits()
    for n in range(10):
        response = api_client.post(LOGIN, {"email": user.email, "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 401
    assert_429(api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}), retry_after=90)


# --- Cost: one cache round trip, no query ---------------------------------------------------------


@pytest.fixture
def store_calls(monkeypatch):
    """How many times the limiter went to its store."""
    calls = []
    for name in ("_hit_redis", "_hit_in_process"):
        original = getattr(ratelimit, name)

        def counted(*args, _original=original, **kwargs):
            calls.append(args[1])
            return _original(*args, **kwargs)

        monkeypatch.setattr(ratelimit, name, counted)
    return calls


@pytest.mark.parametrize("caller", ["member", "anonymous"])
def test_each_request_goes_to_the_store_once(client_as, store_calls, caller):
    client = client_as(caller)
    for path in (TASKS, ME, "/api/v1/no-such-endpoint", SERVER_METADATA):
        store_calls.clear()
        client.get(path)
        assert len(store_calls) == 1, (path, store_calls)


def test_the_limiter_touches_no_database(api_client, client_for, user, limits, django_assert_num_queries):
    limits["read_user"] = "1/m"
    limits["anonymous_ip"] = "1/m"
    client = client_for(user)
    client.get(ME)
    with django_assert_num_queries(
        0
    ):  # the user comes from the cache (config.person_cache); the refusal before the view
        assert_429(client.get(ME))
    api_client.get(PROVIDERS)
    with django_assert_num_queries(0):
        assert_429(api_client.get(PROVIDERS))
    with django_assert_num_queries(0):
        ratelimit.count_request(RequestFactory().get(PROVIDERS), rate_class="read")


def test_concurrent_requests_pass_exactly_the_limit(limits):
    """Counting is atomic: 8 threads racing for 25 requests get 25, not more (a lock in process, Lua on Redis)."""
    limits["write_ip"] = "25/h"
    limits["anonymous_ip"] = "1000/h"
    passed, barrier = [], threading.Barrier(8)

    def race():
        request = RequestFactory().post(TASKS, REMOTE_ADDR="198.51.100.5")
        barrier.wait()
        for _ in range(10):
            if ratelimit.count_request(request, rate_class="write") is None:
                passed.append(1)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 25


# --- Browsers -----------------------------------------------------------------------------------


def test_a_browser_on_an_allowed_origin_may_read_the_fields(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
    response = api_client.get(PROVIDERS, HTTP_ORIGIN="http://localhost:3000")
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"} <= exposed


# --- Redis down (the drill with a real Redis killed: tests/faults/test_redis_outage.py) -----------

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_with_the_store_down_class_limits_fail_open_and_say_so(
    client_for, org, api_client, settings, caplog, monkeypatch
):
    monkeypatch.setattr(logging.getLogger("security"), "propagate", True)  # to caplog
    client = client_for(org.users["member"])
    settings.CACHES = DEAD_REDIS
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "write_user": "1/m", "anonymous_ip": "1/m"}
    for n in range(3):  # past the write limit: nothing counts
        created = create_task(client, org, title=f"During the outage {n}")
        assert created.status_code == 201
        assert not fields(created)
    for _ in range(3):
        assert api_client.get(PROVIDERS).status_code == 200
    assert "Rate limit store unavailable; POST /api/v1/tasks not limited: ConnectionError" in caplog.text


def test_with_the_store_down_guess_limits_fail_closed(api_client, user, settings):
    settings.CACHES = DEAD_REDIS
    refused = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 503
    assert refused.json()["errors"][0]["code"] == "service_unavailable"
    assert int(refused["Retry-After"]) > 0


def test_a_limit_too_high_to_reach_still_counts(limits):
    """An interval below the clock's resolution (the fuzz suite's limits, a benchmark's) must not break the store."""
    limits["read_ip"] = limits["anonymous_ip"] = "1000000000/m"
    request = RequestFactory().get(PROVIDERS)
    assert [ratelimit.count_request(request, rate_class="read") for _ in range(3)] == [None, None, None]
    assert len(request.rate_limit_usages) == 6
