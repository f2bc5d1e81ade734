"""Rotating DJANGO_SECRET_KEY and JWT_SIGNING_KEY signs no one out while the old key is a fallback.

A rotation is a restart with new settings: the new key signs, the old one is listed in
``JWT_SIGNING_KEY_FALLBACKS`` / ``DJANGO_SECRET_KEY_FALLBACKS`` and only checks. simplejwt builds its
backend for the signing key once at import, so ``rotate`` rebuilds it as the restart would.
"""

import pytest
from rest_framework_simplejwt import state
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import ExpiredTokenError

from config.errors import Forbidden
from config.signed_links import signed_link_claims, signed_link_token
from sessions_app.tokens import SessionAccessToken
from tests.factories import DEFAULT_PASSWORD
from tests.mfa.conftest import LOGIN, LOGIN_MFA, UA
from tests.sessions_app.conftest import ME, REFRESH, bearer

pytestmark = pytest.mark.django_db

OLD_KEY = "old-jwt-key-" + "a1b2c3d4e5" * 5
NEW_KEY = "new-jwt-key-" + "f6g7h8i9j0" * 5
OLD_SECRET = "old-secret-key-" + "k1l2m3n4o5" * 5
NEW_SECRET = "new-secret-key-" + "p6q7r8s9t0" * 5


@pytest.fixture
def jwt_key(monkeypatch, settings):
    """``jwt_key(key, fallbacks=[...])``: restart with ``key`` signing JWTs and ``fallbacks`` checking them."""

    def restart(key, *, fallbacks=()):
        monkeypatch.setattr(state, "token_backend", TokenBackend("HS256", key))
        settings.JWT_SIGNING_KEY_FALLBACKS = list(fallbacks)

    restart(OLD_KEY)
    return restart


def test_tokens_signed_before_a_rotation_keep_working_while_the_old_key_is_a_fallback(api_client, login, user, jwt_key):
    before = login(user)

    jwt_key(NEW_KEY, fallbacks=[OLD_KEY])

    assert bearer(api_client, before["access"]).get(ME).status_code == 200
    refreshed = api_client.post(REFRESH, {"refresh": before["refresh"]})
    assert refreshed.status_code == 200, refreshed.content
    # What the refresh answers is signed with the new key: it works once the old key is dropped.
    jwt_key(NEW_KEY)
    assert TokenBackend("HS256", NEW_KEY).decode(refreshed.json()["access"])["sid"] == before["session"]["id"]
    assert bearer(api_client, refreshed.json()["access"]).get(ME).status_code == 200
    assert api_client.post(REFRESH, {"refresh": refreshed.json()["refresh"]}).status_code == 200


def test_once_the_old_key_is_dropped_its_tokens_are_invalid(api_client, login, user, jwt_key):
    before = login(user)

    jwt_key(NEW_KEY)

    response = bearer(api_client, before["access"]).get(ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_not_valid"
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": before["refresh"]}).status_code == 401


def test_a_fallback_key_only_checks_it_never_signs(api_client, login, user, jwt_key):
    jwt_key(NEW_KEY, fallbacks=[OLD_KEY])
    tokens = login(user)
    assert TokenBackend("HS256", NEW_KEY).decode(tokens["access"])["user_id"] == str(user.pk)


def test_a_token_of_an_unknown_key_is_invalid_whatever_the_fallbacks(api_client, login, user, jwt_key):
    jwt_key("a-key-nobody-lists-" + "z" * 40)
    forged = login(user)
    jwt_key(NEW_KEY, fallbacks=[OLD_KEY])
    assert bearer(api_client, forged["access"]).get(ME).status_code == 401


def test_an_expired_token_is_expired_under_a_fallback_key_too(api_client, user, jwt_key):
    from datetime import timedelta

    from sessions_app.services import session_create

    _, tokens = session_create(user=user)
    tokens["access"].set_exp(lifetime=timedelta(seconds=-60))
    expired = str(tokens["access"])  # signed with the old key
    jwt_key(NEW_KEY, fallbacks=[OLD_KEY])

    response = bearer(api_client, expired).get(ME)
    assert response.status_code == 401
    # Expired, not merely unknown: the old key verified its signature, then its expiry ended it.
    with pytest.raises(ExpiredTokenError):
        SessionAccessToken(expired)


def _rotate_secret_key(settings):
    settings.SECRET_KEY = NEW_SECRET
    settings.SECRET_KEY_FALLBACKS = [OLD_SECRET]


def test_recovery_codes_made_before_a_secret_key_rotation_still_sign_in(api_client, settings, enrol, jwt_key):
    settings.SECRET_KEY = OLD_SECRET
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    enrolled = enrol()

    _rotate_secret_key(settings)

    def sign_in_with(code):
        challenge = api_client.post(
            LOGIN, {"email": enrolled.user.email, "password": DEFAULT_PASSWORD}, format="json", HTTP_USER_AGENT=UA
        ).json()
        return api_client.post(
            LOGIN_MFA, {"mfa_token": challenge["mfa_token"], "code": code}, format="json", HTTP_USER_AGENT=UA
        )

    assert sign_in_with(enrolled.recovery_codes[0]).status_code == 200
    # Without the old key among the fallbacks, codes made under it are unknown.
    settings.SECRET_KEY_FALLBACKS = []
    response = sign_in_with(enrolled.recovery_codes[1])
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_code"


def test_signed_links_made_before_a_secret_key_rotation_still_open(settings, user):
    settings.SECRET_KEY = OLD_SECRET
    token = signed_link_token(purpose="export", subject="42", user_id=user.pk)

    _rotate_secret_key(settings)
    assert signed_link_claims(token, purpose="export") == ("42", str(user.pk))

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(Forbidden):
        signed_link_claims(token, purpose="export")


def test_emailed_codes_sent_before_a_secret_key_rotation_still_verify(settings, user):
    from accounts.models import EmailVerification, EmailVerificationPurpose

    settings.SECRET_KEY = OLD_SECRET
    verification = EmailVerification(user=user, email=user.email, purpose=EmailVerificationPurpose.choices[0][0])
    verification.code_hash = verification.code_digest("123456")

    _rotate_secret_key(settings)
    assert verification.code_matches("123456")
    assert not verification.code_matches("654321")
    settings.SECRET_KEY_FALLBACKS = []
    assert not verification.code_matches("123456")


def test_production_refuses_a_fallback_key_that_cannot_have_been_a_secret_key(run_django):
    from tests.config.test_deployment import PRODUCTION_ENV

    result = run_django(["manage.py", "check"], **PRODUCTION_ENV, DJANGO_SECRET_KEY_FALLBACKS="short")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FALLBACKS" in result.stderr
    rotated = run_django(["manage.py", "check"], **PRODUCTION_ENV, DJANGO_SECRET_KEY_FALLBACKS=OLD_SECRET)
    assert rotated.returncode == 0, rotated.stderr
