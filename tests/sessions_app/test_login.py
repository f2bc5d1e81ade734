import pytest

from audit.models import AuditEvent
from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.sessions_app.conftest import CHROME_UA, LOGIN, ME, bearer

pytestmark = pytest.mark.django_db


def test_login_returns_tokens_user_and_session(api_client, user):
    response = api_client.post(
        LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, HTTP_USER_AGENT=CHROME_UA, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "access_expires_in", "refresh_expires_in", "user", "session"}
    assert body["user"] == {
        "id": str(user.pk),
        "email": user.email,
        "username": user.username,
        "full_name": user.full_name,
    }
    session = UserSession.objects.get(pk=body["session"]["id"])
    assert session.user == user
    assert session.ip == "203.0.113.7"
    assert session.user_agent == CHROME_UA
    assert session.device_name == "Chrome 120 on Mac OS X 10.15.7"
    assert body["session"]["is_current"] is True
    assert AuditEvent.objects.filter(kind="login_succeeded", user=user, ip="203.0.113.7").exists()


@pytest.mark.parametrize("identifier", ["email", "EMAIL_UPPER", "username", "USERNAME_UPPER"])
def test_login_with_email_or_username_any_case(api_client, user, identifier):
    value = {
        "email": user.email,
        "EMAIL_UPPER": user.email.upper(),
        "username": user.username,
        "USERNAME_UPPER": user.username.upper(),
    }[identifier]
    response = api_client.post(LOGIN, {"email": value, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def test_access_token_signs_in(api_client, login, user):
    tokens = login(user)
    response = bearer(api_client, tokens["access"]).get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_given_device_name_is_kept(api_client, user):
    body = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD, "device_name": "Work laptop"})
    assert body.json()["session"]["device_name"] == "Work laptop"


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "nobody@example.com", "password": DEFAULT_PASSWORD},
        {"email": "USER", "password": "wrong-password"},
    ],
)
def test_bad_credentials_answer_401_and_are_audited(api_client, user, credentials):
    if credentials["email"] == "USER":
        credentials = {**credentials, "email": user.email}
    response = api_client.post(LOGIN, credentials)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(kind="login_failed", identifier=credentials["email"]).exists()
    assert not UserSession.objects.exists()


def test_inactive_user_cannot_sign_in(api_client):
    user = UserFactory(is_active=False)
    response = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_credentials"


def test_login_validates_its_body(api_client):
    response = api_client.post(LOGIN, {"email": ""})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"email", "password"}


def test_each_login_is_its_own_session(api_client, login, user):
    first, second = login(user), login(user)
    assert first["session"]["id"] != second["session"]["id"]
    assert UserSession.objects.filter(user=user).count() == 2


def test_token_lifetimes_are_given_in_seconds(api_client, user, settings):
    """A frontend refreshes before expiry without decoding the JWT."""
    body = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    access = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    refresh = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()
    assert access - 5 <= body["access_expires_in"] <= access
    assert refresh - 5 <= body["refresh_expires_in"] <= refresh
    rotated = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}).json()
    assert set(rotated) == {"access", "refresh", "access_expires_in", "refresh_expires_in"}
    assert access - 5 <= rotated["access_expires_in"] <= access
