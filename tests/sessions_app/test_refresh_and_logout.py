import pytest

from audit.models import AuditEvent
from sessions_app.models import UserSession
from tests.sessions_app.conftest import ME, REFRESH, bearer

pytestmark = pytest.mark.django_db

LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout-all"


def test_refresh_rotates_the_refresh_token(api_client, login, user):
    tokens = login(user)
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    rotated = response.json()
    assert set(rotated) == {"access", "refresh", "access_expires_in", "refresh_expires_in"}
    assert rotated["refresh"] != tokens["refresh"]
    assert bearer(api_client, rotated["access"]).get(ME).status_code == 200
    again = api_client.post(REFRESH, {"refresh": rotated["refresh"]})
    assert again.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(api_client, login, user, caplog):
    tokens = login(user)
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()

    reuse = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert reuse.status_code == 401
    assert reuse.json()["errors"][0]["code"] == "refresh_token_reused"

    session = UserSession.objects.get(pk=tokens["session"]["id"])
    assert session.revoked_reason == "refresh_reuse"
    assert AuditEvent.objects.filter(kind="refresh_reuse", user=user, session_id=session.pk).exists()
    # Everything issued to that session is dead: the newest refresh and access tokens too.
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}).json()["errors"][0]["code"] == "session_revoked"
    assert bearer(api_client, rotated["access"]).get(ME).status_code == 401


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c"])
def test_invalid_refresh_tokens(api_client, garbage):
    response = api_client.post(REFRESH, {"refresh": garbage})
    assert response.status_code in (400, 401)
    assert response.json()["success"] is False


def test_access_token_is_not_a_refresh_token(api_client, login, user):
    response = api_client.post(REFRESH, {"refresh": login(user)["access"]})
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_not_valid"


def test_logout_ends_the_current_session_at_once(api_client, login, user):
    tokens, other = login(user), login(user)
    client = bearer(api_client, tokens["access"])
    assert client.post(LOGOUT).status_code == 204
    assert client.get(ME).status_code == 401
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert bearer(api_client, other["access"]).get(ME).status_code == 200
    assert AuditEvent.objects.filter(kind="logout", user=user).count() == 1


def test_logout_all_ends_every_session(api_client, login, user):
    sessions = [login(user) for _ in range(3)]
    response = bearer(api_client, sessions[0]["access"]).post(LOGOUT_ALL)
    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    for tokens in sessions:
        assert bearer(api_client, tokens["access"]).get(ME).status_code == 401
        assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert AuditEvent.objects.filter(kind="logout_all", user=user).exists()


def test_logout_needs_a_signed_in_caller(api_client):
    assert api_client.post(LOGOUT).status_code == 401
    assert api_client.post(LOGOUT_ALL).status_code == 401
