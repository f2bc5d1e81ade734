"""A token this process verified is not verified again (``sessions_app.tokens.RotatingKeys``), yet it expires on
time, a key rotation or a revoked session ends it, and a token that differs by a character is checked anew."""

from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt import state
from rest_framework_simplejwt.backends import TokenBackend

from sessions_app import tokens
from sessions_app.services import session_create
from tests.sessions_app.conftest import ME, bearer

pytestmark = pytest.mark.django_db

KEY = "verified-tokens-key-" + "0123456789" * 5
OTHER_KEY = "verified-tokens-other-key-" + "9876543210" * 5


@pytest.fixture(autouse=True)
def fresh(monkeypatch, settings):
    """A key of this module's own, an empty store of verified tokens, and PyJWT's checks counted."""
    monkeypatch.setattr(state, "token_backend", TokenBackend("HS256", KEY))
    settings.JWT_SIGNING_KEY_FALLBACKS = []
    monkeypatch.setattr(tokens, "_verified", {})
    checks = []
    decode = jwt.decode

    def counted(*args, **kwargs):
        checks.append(args[0])
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    return checks


def access_of(user) -> str:
    return str(session_create(user=user)[1]["access"])


def test_a_token_is_verified_once_then_recognised(api_client, user, fresh):
    access = access_of(user)
    for _ in range(3):
        assert bearer(api_client, access).get(ME).status_code == 200
    assert len(fresh) == 1


def test_a_recognised_token_expires_on_time_with_the_same_answer(api_client, user, monkeypatch):
    _, pair = session_create(user=user)
    access = str(pair["access"])
    assert bearer(api_client, access).get(ME).status_code == 200
    pair["access"].set_exp(lifetime=timedelta(seconds=-60))
    never_seen = bearer(api_client, str(pair["access"])).get(ME)  # expired when first seen: PyJWT's answer

    later = pair["access"]["exp"] + 24 * 60 * 60 + 60  # the first token's expiry, a day on
    monkeypatch.setattr(tokens, "_now", lambda: later)
    recognised = bearer(api_client, access).get(ME)
    assert recognised.status_code == never_seen.status_code == 401
    assert recognised.json() == never_seen.json()


def test_a_key_dropped_from_the_rotation_ends_a_recognised_token(api_client, user, monkeypatch, settings):
    access = access_of(user)
    assert bearer(api_client, access).get(ME).status_code == 200
    monkeypatch.setattr(state, "token_backend", TokenBackend("HS256", OTHER_KEY))
    settings.JWT_SIGNING_KEY_FALLBACKS = [KEY]
    assert bearer(api_client, access).get(ME).status_code == 200
    settings.JWT_SIGNING_KEY_FALLBACKS = []
    assert bearer(api_client, access).get(ME).status_code == 401


def test_a_token_that_differs_by_a_character_is_checked_anew(api_client, user, fresh):
    access = access_of(user)
    assert bearer(api_client, access).get(ME).status_code == 200
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    assert bearer(api_client, tampered).get(ME).status_code == 401
    assert fresh == [access.encode(), tampered.encode()]


def test_a_revoked_session_ends_a_recognised_token(api_client, user):
    from sessions_app.models import RevokeReason
    from sessions_app.services import session_revoke

    session, pair = session_create(user=user)
    access = str(pair["access"])
    assert bearer(api_client, access).get(ME).status_code == 200
    session_revoke(session=session, reason=RevokeReason.LOGOUT)
    response = bearer(api_client, access).get(ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "session_revoked"


def test_at_most_so_many_are_kept_the_oldest_dropped_first(api_client, user, fresh, monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_KEPT", 2)
    first, second, third = (access_of(user) for _ in range(3))
    for access in (first, second, third, third, first):
        assert bearer(api_client, access).get(ME).status_code == 200
    assert fresh == [first.encode(), second.encode(), third.encode(), first.encode()]
    assert len(tokens._verified) == 2


def test_a_caller_changing_its_claims_changes_no_one_elses(user):
    from sessions_app.tokens import SessionAccessToken

    access = access_of(user)
    token = SessionAccessToken(access)
    token["sid"] = "changed"
    assert SessionAccessToken(access)["sid"] != "changed"
