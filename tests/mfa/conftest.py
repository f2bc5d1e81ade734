"""The second-factor endpoints and the two steps of signing in; ``clock`` and ``enrol`` are in tests/fixtures/mfa.py."""

import pytest

from tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
MFA = "/api/v1/users/me/mfa"
TOTP = f"{MFA}/totp"
CONFIRM = f"{MFA}/totp/confirm"
RECOVERY_CODES = f"{MFA}/recovery-codes"
REAUTH = "/api/v1/auth/reauthenticate"
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


@pytest.fixture(autouse=True)
def _no_back_off(settings):
    """django-otp waits 1 s, 2 s, 4 s... after a wrong code; tests of the back-off switch it on again."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def start_login(api_client):
    """Sign in with the password; answers the body (a challenge, for an account with a second factor)."""

    def do(user, **extra):
        response = api_client.post(
            LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD, **extra}, format="json", HTTP_USER_AGENT=UA
        )
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def finish_login(api_client):
    def do(mfa_token, code, **extra):
        return api_client.post(
            LOGIN_MFA, {"mfa_token": mfa_token, "code": code, **extra}, format="json", HTTP_USER_AGENT=UA
        )

    return do
