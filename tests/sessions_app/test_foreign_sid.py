"""A refresh token whose ``sid`` names another user's session is invalid, and leaves that session alone.

Such a token cannot come from the API (every token names its own user's session), only from someone
holding the signing key. Treated as reuse, it used to end the other user's session; with that
session's current ``jti`` it would even have rotated it, handing over that user's tokens.
"""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from audit.models import AuditEvent
from sessions_app.models import UserSession
from sessions_app.tokens import SESSION_CLAIM
from tests.factories import UserFactory
from tests.sessions_app.conftest import ME, REFRESH, bearer

pytestmark = pytest.mark.django_db


def forged_refresh(*, user, session_id, jti=None) -> str:
    """A refresh token for ``user`` naming ``session_id``, signed with the project's key (simplejwt's settings)."""
    token = RefreshToken.for_user(user)
    token[SESSION_CLAIM] = str(session_id)
    if jti is not None:
        token["jti"] = jti
    return str(token)


@pytest.mark.parametrize("with_their_jti", [False, True], ids=["a-fresh-jti", "their-current-jti"])
def test_a_refresh_naming_another_users_session_is_rejected_without_touching_it(api_client, login, with_their_jti):
    alice, bob = UserFactory(), UserFactory()
    alice_tokens, bob_tokens = login(alice), login(bob)
    bob_session = UserSession.objects.get(pk=bob_tokens["session"]["id"])
    bob_jti = RefreshToken(bob_tokens["refresh"])["jti"]

    forged = forged_refresh(user=alice, session_id=bob_session.pk, jti=bob_jti if with_their_jti else None)
    response = api_client.post(REFRESH, {"refresh": forged})

    assert response.status_code == 401, response.content
    assert response.json() == {
        "success": False,
        "errors": [{"code": "token_not_valid", "message": "Refresh token is invalid or expired.", "field": None}],
    }
    bob_session.refresh_from_db()
    assert bob_session.revoked_at is None
    assert bob_session.refresh_jti == bob_jti
    assert not AuditEvent.objects.filter(kind="refresh_reuse").exists()
    # Bob goes on as before: his access token works and his refresh token rotates.
    assert bearer(api_client, bob_tokens["access"]).get(ME).status_code == 200
    api_client.credentials()
    rotated = api_client.post(REFRESH, {"refresh": bob_tokens["refresh"]})
    assert rotated.status_code == 200, rotated.content
    # And Alice's own session is not affected either.
    assert api_client.post(REFRESH, {"refresh": alice_tokens["refresh"]}).status_code == 200


def test_the_same_token_naming_its_own_users_session_is_reuse_as_before(api_client, login):
    """The check compares users only: a rotated token of one's own session still ends that session."""
    alice = UserFactory()
    tokens = login(alice)
    session_id = tokens["session"]["id"]
    stale = forged_refresh(user=alice, session_id=session_id)
    response = api_client.post(REFRESH, {"refresh": stale})
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "refresh_token_reused"
    assert UserSession.objects.get(pk=session_id).revoked_reason == "refresh_reuse"
