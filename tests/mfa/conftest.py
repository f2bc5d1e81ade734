"""A clock for the authenticator app, and people with two-factor sign-in on."""

import time
from dataclasses import dataclass
from types import SimpleNamespace

import django_otp.plugins.otp_totp.models as totp_models
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import services
from tests.factories import DEFAULT_PASSWORD, UserFactory, totp_code

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
MFA = "/api/v1/users/me/mfa"
TOTP = f"{MFA}/totp"
CONFIRM = f"{MFA}/totp/confirm"
RECOVERY_CODES = f"{MFA}/recovery-codes"
REAUTH = "/api/v1/auth/reauthenticate"
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


class Clock:
    """What django-otp reads as now when it checks a code; ``advance`` moves it a number of steps."""

    def __init__(self):
        # The middle of a 30 s step: a test never straddles a step's end by chance.
        self.now = (int(time.time()) // 30) * 30 + 15.0

    def time(self):
        return self.now

    def advance(self, steps=1):
        self.now += 30 * steps


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture(autouse=True)
def _no_back_off(settings):
    """django-otp waits 1 s, 2 s, 4 s... after a wrong code; tests of the back-off switch it on again."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@dataclass
class Enrolled:
    user: object
    device: TOTPDevice
    recovery_codes: list
    clock: Clock

    def code(self, offset_steps=0) -> str:
        self.device.refresh_from_db()
        return totp_code(self.device, at=self.clock.now, offset_steps=offset_steps)


@pytest.fixture
def enrol(clock):
    """``enrol(user)``: two-factor sign-in on for ``user``, through the services the API calls."""

    def do(user=None) -> Enrolled:
        user = user or UserFactory()
        services.totp_enrol_start(user=user)
        device = TOTPDevice.objects.get(user=user)
        codes = services.totp_enrol_confirm(user=user, code=totp_code(device, at=clock.now))
        clock.advance()  # the enrolment's code is spent; the next sign-in uses the next one
        device.refresh_from_db()
        return Enrolled(user=user, device=device, recovery_codes=codes, clock=clock)

    return do


@pytest.fixture
def enrolled(enrol):
    return enrol()


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
