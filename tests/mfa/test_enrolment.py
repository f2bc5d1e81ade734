"""Turning two-factor sign-in on and off, and recovery codes, through /users/me/mfa as a frontend does."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from mfa.models import RecoveryCode
from mfa.services import _recovery_code_hash
from sessions_app.models import UserSession
from tests.factories import totp_code
from tests.mfa.conftest import CONFIRM, MFA, RECOVERY_CODES, TOTP
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(AuditEvent.objects.filter(user=user).order_by("created_at", "pk").values_list("kind", flat=True))


def test_start_answers_the_secret_its_uri_and_a_qr_code(auth_client, user, clock, settings):
    settings.OTP_TOTP_ISSUER = "Team Workspace"
    response = auth_client.post(TOTP)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_code"}
    uri = urlparse(body["otpauth_uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert unquote(uri.path) == f"/Team Workspace:{user.email}"
    params = parse_qs(uri.query)
    assert params["secret"] == [body["secret"]]
    assert params["issuer"] == ["Team Workspace"]
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert body["qr_code"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    # Nothing is on until the app proves it holds the secret.
    assert auth_client.get(MFA).json()["enabled"] is False


def test_confirming_with_a_code_turns_it_on_and_shows_ten_recovery_codes_once(auth_client, user, clock):
    auth_client.post(TOTP)
    device = TOTPDevice.objects.get(user=user)

    response = auth_client.post(CONFIRM, {"code": totp_code(device, at=clock.now)}, format="json")

    assert response.status_code == 200, response.content
    codes = response.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    device.refresh_from_db()
    assert device.confirmed is True
    # Stored as HMACs of the codes, never the codes.
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert stored == {_recovery_code_hash(user=user, code=code) for code in codes}
    assert not stored & set(codes)
    assert kinds(user)[-2:] == [AuditEvent.Kind.MFA_ENABLED, AuditEvent.Kind.RECOVERY_CODES_GENERATED]

    state = auth_client.get(MFA).json()
    assert state["enabled"] is True
    assert state["methods"] == ["totp", "recovery_code"]
    assert state["totp"]["enabled"] is True
    assert state["totp"]["enabled_at"]
    assert state["recovery_codes"]["remaining"] == 10
    assert state["recovery_codes"]["generated_at"]


def test_a_wrong_code_leaves_it_off(auth_client, user, clock):
    auth_client.post(TOTP)
    device = TOTPDevice.objects.get(user=user)
    wrong = totp_code(device, at=clock.now, offset_steps=5)

    assert_error(auth_client.post(CONFIRM, {"code": wrong}, format="json"), 400, "invalid_code")
    assert_error(auth_client.post(CONFIRM, {"code": "not-digits"}, format="json"), 400, "invalid_code")

    device.refresh_from_db()
    assert device.confirmed is False
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert kinds(user).count(AuditEvent.Kind.MFA_FAILED) == 2


def test_confirming_without_starting_is_a_conflict(auth_client):
    assert_error(auth_client.post(CONFIRM, {"code": "123456"}, format="json"), 409, "totp_enrolment_not_started")


def test_starting_again_replaces_an_unconfirmed_enrolment(auth_client, user, clock):
    first = auth_client.post(TOTP).json()["secret"]
    second = auth_client.post(TOTP).json()["secret"]
    assert first != second
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_starting_when_it_is_on_is_a_conflict(client_for, enrolled):
    client = client_for(enrolled.user)
    assert_error(client.post(TOTP), 409, "mfa_already_enabled")
    assert_error(client.post(CONFIRM, {"code": enrolled.code()}, format="json"), 409, "mfa_already_enabled")


def stale(client):
    """The client's session last proved its person long ago: sensitive changes need a re-authentication."""
    UserSession.objects.filter(pk=client.session_row.pk).update(authenticated_at=timezone.now() - timedelta(hours=1))
    from sessions_app.tokens import issue_token_pair

    client.session_row.refresh_from_db()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(client.session_row)['access']}")
    return client


def test_starting_needs_a_recent_authentication(client_for, user):
    assert_error(stale(client_for(user)).post(TOTP), 403, "reauthentication_required")
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_turning_it_off_needs_a_recent_authentication_and_removes_the_codes(client_for, enrolled):
    user = enrolled.user
    assert_error(stale(client_for(user)).delete(TOTP), 403, "reauthentication_required")
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    response = client_for(user).delete(TOTP)

    assert response.status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert kinds(user)[-1] == AuditEvent.Kind.MFA_DISABLED
    assert client_for(user).get(MFA).json() == {
        "enabled": False,
        "methods": [],
        "totp": {"enabled": False, "enabled_at": None, "last_used_at": None},
        "recovery_codes": {"remaining": 0, "generated_at": None},
    }
    assert_error(client_for(user).delete(TOTP), 409, "mfa_not_enabled")


def test_new_recovery_codes_need_a_recent_authentication_and_replace_the_old(
    client_for, enrolled, start_login, finish_login
):
    user = enrolled.user
    assert_error(stale(client_for(user)).post(RECOVERY_CODES), 403, "reauthentication_required")

    response = client_for(user).post(RECOVERY_CODES)

    assert response.status_code == 200
    new = response.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(enrolled.recovery_codes)
    assert kinds(user)[-1] == AuditEvent.Kind.RECOVERY_CODES_GENERATED
    # The old codes no longer sign in; the new ones do.
    old = finish_login(start_login(user)["mfa_token"], enrolled.recovery_codes[0])
    assert_error(old, 401, "invalid_code")
    assert finish_login(start_login(user)["mfa_token"], new[0]).status_code == 200


def test_new_recovery_codes_need_a_second_factor(auth_client):
    assert_error(auth_client.post(RECOVERY_CODES), 409, "mfa_not_enabled")


def test_the_state_of_someone_without_a_second_factor(auth_client):
    assert auth_client.get(MFA).json()["enabled"] is False


def test_anonymous_callers_get_401(api_client):
    for method, path in [("get", MFA), ("post", TOTP), ("delete", TOTP), ("post", CONFIRM), ("post", RECOVERY_CODES)]:
        assert_error(getattr(api_client, method)(path), 401)
