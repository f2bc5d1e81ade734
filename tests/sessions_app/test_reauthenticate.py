"""POST /auth/reauthenticate: a signed-in person proves again who they are before a sensitive change."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from config.reauth import authenticated_recently
from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD
from tests.sessions_app.conftest import bearer
from tests.sessions_app.test_tokens import claims_of

pytestmark = pytest.mark.django_db

REAUTH = "/api/v1/auth/reauthenticate"


def test_sign_in_tokens_carry_auth_time_and_the_session_its_method(api_client, login, user):
    before = int(time.time())
    body = login(user)
    assert before - 1 <= claims_of(body["access"])["auth_time"] <= int(time.time())
    assert body["session"]["sign_in_method"] == "password"
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.LOGIN_SUCCEEDED)
    assert event.data == {"method": "password"}


def test_the_password_again_gives_an_access_token_with_a_new_auth_time(api_client, login, user):
    body = login(user)
    session = UserSession.objects.get(pk=claims_of(body["access"])["sid"])
    UserSession.objects.filter(pk=session.pk).update(authenticated_at=timezone.now() - timedelta(hours=2))

    response = bearer(api_client, body["access"]).post(REAUTH, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    fresh = response.json()
    assert set(fresh) == {"access", "access_expires_in"}
    assert claims_of(fresh["access"])["auth_time"] >= int(time.time()) - 1
    assert claims_of(fresh["access"])["sid"] == str(session.pk)
    session.refresh_from_db()
    assert timezone.now() - session.authenticated_at < timedelta(seconds=5)
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.REAUTHENTICATED, session_id=session.pk).exists()
    # A refresh keeps the session's new auth_time.
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh": body["refresh"]}, format="json").json()
    assert claims_of(refreshed["access"])["auth_time"] == int(session.authenticated_at.timestamp())


def test_a_wrong_password_is_a_400_on_the_field_and_is_audited(api_client, login, user):
    access = login(user)["access"]
    response = bearer(api_client, access).post(REAUTH, {"password": "not-it"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.LOGIN_FAILED, data__reauthentication=True).exists()


def test_guesses_are_limited_per_account(api_client, login, user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reauthenticate_account": "3/15m"}
    client = bearer(api_client, login(user)["access"])
    statuses = [client.post(REAUTH, {"password": f"guess-{n}"}, format="json").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 429]
    # Even the right password waits: the limit counts attempts, not failures.
    assert client.post(REAUTH, {"password": DEFAULT_PASSWORD}, format="json").status_code == 429


def test_anonymous_callers_are_refused(api_client):
    assert api_client.post(REAUTH, {"password": "x"}, format="json").status_code == 401


class _Request:
    def __init__(self, auth):
        self.auth = auth


@pytest.mark.parametrize(("age", "recent"), [(0, True), (299, True), (301, False)], ids=["now", "inside", "outside"])
def test_recent_means_inside_the_window(age, recent, settings):
    settings.REAUTHENTICATION_WINDOW_SECONDS = 300
    assert authenticated_recently(_Request({"auth_time": time.time() - age})) is recent


@pytest.mark.parametrize("auth", [None, {}, {"auth_time": "yesterday"}], ids=["anonymous", "no-claim", "not-a-time"])
def test_a_token_without_auth_time_is_not_recent(auth):
    assert authenticated_recently(_Request(auth)) is False
