"""Rate limits answer 429 with Retry-After; with the cache down, limited endpoints fail closed."""

import pytest

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD
from tests.sessions_app.conftest import LOGIN, ME, REFRESH, bearer

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS}
    return settings.RATE_LIMITS


def assert_429(response):
    assert response.status_code == 429, response.content
    assert response.json()["errors"][0]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


def test_login_is_limited_per_ip(api_client, user, limits):
    limits["login_ip"] = "3/m"
    for _ in range(3):
        assert api_client.post(LOGIN, {"email": user.email, "password": "wrong"}).status_code == 401
    assert_429(api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))
    # another address is not limited
    ok = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="198.51.100.9")
    assert ok.status_code == 200


def test_login_is_limited_per_account_across_addresses(api_client, user, limits):
    limits["login_account"] = "3/m"
    for n in range(3):
        api_client.post(LOGIN, {"email": user.email, "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{n}")
    assert_429(api_client.post(LOGIN, {"email": user.email.upper(), "password": "x"}, REMOTE_ADDR="198.51.100.50"))


def test_spoofed_forwarded_for_does_not_reset_the_limit(api_client, user, limits):
    limits["login_ip"] = "2/m"
    for n in range(2):
        api_client.post(LOGIN, {"email": user.email, "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert_429(api_client.post(LOGIN, {"email": user.email, "password": "x"}, HTTP_X_FORWARDED_FOR="10.9.9.9"))


def test_trusted_proxy_setting_uses_the_forwarded_client(api_client, user, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limits["login_ip"] = "2/m"
    for _ in range(2):
        api_client.post(LOGIN, {"email": user.email, "password": "x"}, HTTP_X_FORWARDED_FOR="evil, 203.0.113.1")
    assert_429(api_client.post(LOGIN, {"email": user.email, "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.1"))
    # the client-written part left of the proxy's entry is ignored: a new real client is not limited
    other = api_client.post(
        LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.2"
    )
    assert other.status_code == 200


def test_refresh_is_limited(api_client, limits):
    limits["refresh"] = "2/m"
    for _ in range(2):
        api_client.post(REFRESH, {"refresh": "x"})
    assert_429(api_client.post(REFRESH, {"refresh": "x"}))


def test_register_is_limited(api_client, limits):
    limits["register"] = "1/h"
    api_client.post("/api/v1/auth/register", {})
    assert_429(api_client.post("/api/v1/auth/register", {}))


def test_password_reset_is_limited_per_ip_and_per_account(api_client, limits):
    limits["password_reset_account"] = "2/h"
    for n in range(2):
        api_client.post("/api/v1/auth/password/reset", {"email": "a@example.com"}, REMOTE_ADDR=f"198.51.100.{n}")
    assert_429(api_client.post("/api/v1/auth/password/reset", {"email": "A@example.com"}, REMOTE_ADDR="198.51.100.7"))
    limits["password_reset_ip"] = "1/h"
    api_client.post("/api/v1/auth/password/reset", {"email": "b@example.com"}, REMOTE_ADDR="198.51.100.99")
    assert_429(api_client.post("/api/v1/auth/password/reset/confirm", {}, REMOTE_ADDR="198.51.100.99"))


class TestCacheDown:
    """Documented behaviour with Redis down: sign-in fails closed, signed-in reads keep working."""

    def test_login_fails_closed_with_503(self, api_client, user, settings):
        settings.CACHES = DEAD_REDIS
        response = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 503
        assert response.json()["errors"][0]["code"] == "service_unavailable"
        assert int(response["Retry-After"]) > 0

    def test_signed_in_requests_keep_working_and_revocation_still_holds(self, api_client, login, user, settings):
        tokens = login(user)
        other = login(user)
        settings.CACHES = DEAD_REDIS
        client = bearer(api_client, tokens["access"])
        assert client.get(ME).status_code == 200
        assert client.delete(f"/api/v1/sessions/{other['session']['id']}").status_code == 204
        assert bearer(api_client, other["access"]).get(ME).status_code == 401
        assert AuditEvent.objects.filter(kind="session_revoked").exists()


PASSWORD_CHANGE = "/api/v1/auth/password/change"


def test_password_change_is_limited_per_account(client_for, user, limits):
    """A stolen access token cannot guess the current password without limit, from any address."""
    limits["password_change_account"] = "3/m"
    client = client_for(user)
    wrong = {"old_password": "guess", "new_password": "plum-tractor-88"}
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert client.post(PASSWORD_CHANGE, wrong, REMOTE_ADDR=address).status_code == 400
    assert_429(client.post(PASSWORD_CHANGE, wrong, REMOTE_ADDR="198.51.100.4"))
    right = {"old_password": DEFAULT_PASSWORD, "new_password": "plum-tractor-88"}
    assert_429(client.post(PASSWORD_CHANGE, right, REMOTE_ADDR="198.51.100.5"))
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)  # nothing changed while limited


def test_password_change_is_limited_per_address(client_for, limits):
    from tests.factories import UserFactory

    limits["password_change_ip"] = "2/m"
    wrong = {"old_password": "guess", "new_password": "plum-tractor-88"}
    for _ in range(2):
        assert client_for(UserFactory()).post(PASSWORD_CHANGE, wrong).status_code == 400
    assert_429(client_for(UserFactory()).post(PASSWORD_CHANGE, wrong))
    # another address is not limited
    assert client_for(UserFactory()).post(PASSWORD_CHANGE, wrong, REMOTE_ADDR="198.51.100.9").status_code == 400
