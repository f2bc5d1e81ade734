"""Signing in with a second factor: /auth/login answers a challenge, /auth/login/mfa opens the session."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts import services as account_services
from audit.models import AuditEvent
from mfa.models import MfaChallenge, RecoveryCode
from sessions_app import services as session_services
from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mfa.conftest import LOGIN, UA
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

LOGIN_BODY = {"access", "refresh", "access_expires_in", "refresh_expires_in", "user", "session"}


def test_without_a_second_factor_signing_in_is_unchanged(start_login):
    assert set(start_login(UserFactory())) == LOGIN_BODY


def test_with_a_second_factor_the_password_answers_a_challenge_and_no_session(start_login, enrolled, settings):
    body = start_login(enrolled.user)

    assert body == {
        "mfa_required": True,
        "mfa_token": body["mfa_token"],
        "mfa_methods": ["totp", "recovery_code"],
        "expires_in": settings.MFA_TOKEN_SECONDS,
    }
    assert len(body["mfa_token"]) >= 40
    assert not UserSession.objects.filter(user=enrolled.user).exists()
    assert not AuditEvent.objects.filter(user=enrolled.user, kind=AuditEvent.Kind.LOGIN_SUCCEEDED).exists()
    # Only a hash of the token is kept.
    assert not MfaChallenge.objects.filter(token_hash=body["mfa_token"]).exists()


def test_the_code_opens_the_session_with_the_body_of_login(start_login, finish_login, enrolled):
    token = start_login(enrolled.user, device_name="Work laptop")["mfa_token"]

    response = finish_login(token, enrolled.code())

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == LOGIN_BODY
    assert body["user"]["id"] == str(enrolled.user.pk)
    assert body["session"]["sign_in_method"] == "password+totp"
    assert body["session"]["device_name"] == "Work laptop"
    session = UserSession.objects.get(pk=body["session"]["id"])
    assert session.user_agent == UA
    event = AuditEvent.objects.get(user=enrolled.user, kind=AuditEvent.Kind.LOGIN_SUCCEEDED)
    assert event.data == {"method": "password+totp"}
    assert event.session_id == session.pk
    enrolled.device.refresh_from_db()
    assert enrolled.device.last_used_at is not None


def test_spaces_in_the_code_are_ignored(start_login, finish_login, enrolled):
    code = enrolled.code()
    assert finish_login(start_login(enrolled.user)["mfa_token"], f"{code[:3]} {code[3:]}").status_code == 200


def test_a_used_code_cannot_be_replayed_in_its_window(start_login, finish_login, enrolled):
    code = enrolled.code()
    assert finish_login(start_login(enrolled.user)["mfa_token"], code).status_code == 200

    # Same step, and the next one still within the tolerance: the code is spent either way.
    assert_error(finish_login(start_login(enrolled.user)["mfa_token"], code), 401, "invalid_code")
    enrolled.clock.advance()
    assert_error(finish_login(start_login(enrolled.user)["mfa_token"], code), 401, "invalid_code")
    # The app's next code works.
    assert finish_login(start_login(enrolled.user)["mfa_token"], enrolled.code()).status_code == 200


def test_a_code_of_the_previous_step_is_accepted_once(start_login, finish_login, enrolled):
    enrolled.clock.advance()  # the step before is one whose code was not used (the enrolment's was)
    late = enrolled.code(offset_steps=-1)  # the app's clock a little behind
    assert finish_login(start_login(enrolled.user)["mfa_token"], late).status_code == 200


def test_a_wrong_code_is_a_401_audited_and_the_token_may_try_again(start_login, finish_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]

    assert_error(finish_login(token, enrolled.code(offset_steps=3)), 401, "invalid_code")

    event = AuditEvent.objects.get(user=enrolled.user, kind=AuditEvent.Kind.MFA_FAILED)
    assert event.data == {"method": "totp", "sign_in_method": "password", "attempt": 1}
    assert finish_login(token, enrolled.code()).status_code == 200


def test_wrong_codes_spend_the_token(start_login, finish_login, enrolled, settings):
    settings.MFA_TOKEN_MAX_ATTEMPTS = 3
    token = start_login(enrolled.user)["mfa_token"]
    for _ in range(3):
        assert_error(finish_login(token, "000000" if enrolled.code() != "000000" else "111111"), 401, "invalid_code")
    assert_error(finish_login(token, enrolled.code()), 401, "mfa_token_invalid")


def test_the_token_is_single_use(start_login, finish_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]
    assert finish_login(token, enrolled.code()).status_code == 200
    enrolled.clock.advance()
    assert_error(finish_login(token, enrolled.code()), 401, "mfa_token_invalid")
    assert UserSession.objects.filter(user=enrolled.user).count() == 1


def test_an_expired_token_is_refused(start_login, finish_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]
    MfaChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(finish_login(token, enrolled.code()), 401, "mfa_token_expired")
    assert not UserSession.objects.filter(user=enrolled.user).exists()


@pytest.mark.parametrize("token", ["made-up", "x" * 256])
def test_an_unknown_token_is_refused(finish_login, token):
    assert_error(finish_login(token, "123456"), 401, "mfa_token_invalid")


def test_a_token_is_bound_to_its_person(start_login, finish_login, enrol):
    alice, bob = enrol(), enrol()
    alice_token = start_login(alice.user)["mfa_token"]
    # Bob's code does not finish Alice's sign-in, nor sign Bob in.
    assert_error(finish_login(alice_token, bob.code()), 401, "invalid_code")
    assert_error(finish_login(alice_token, bob.recovery_codes[0]), 401, "invalid_code")
    assert not UserSession.objects.exists()
    response = finish_login(alice_token, alice.code())
    assert response.json()["user"]["id"] == str(alice.user.pk)


def test_a_token_is_bound_to_the_client_that_proved_the_password(api_client, start_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]
    response = api_client.post(
        "/api/v1/auth/login/mfa",
        {"mfa_token": token, "code": enrolled.code()},
        format="json",
        HTTP_USER_AGENT="curl/8.0",
    )
    assert_error(response, 401, "mfa_token_invalid")


def test_a_recovery_code_signs_in_once(start_login, finish_login, enrolled):
    code = enrolled.recovery_codes[0]

    response = finish_login(start_login(enrolled.user)["mfa_token"], code.upper().replace("-", " "))

    assert response.status_code == 200, response.content
    assert response.json()["session"]["sign_in_method"] == "password+recovery_code"
    used = AuditEvent.objects.get(user=enrolled.user, kind=AuditEvent.Kind.RECOVERY_CODE_USED)
    assert used.data == {"remaining": 9}
    assert RecoveryCode.objects.filter(user=enrolled.user, used_at__isnull=False).count() == 1
    assert_error(finish_login(start_login(enrolled.user)["mfa_token"], code), 401, "invalid_code")


def test_the_method_may_be_named(start_login, finish_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]
    # A TOTP code sent as a recovery code is not one.
    assert_error(finish_login(token, enrolled.code(), method="recovery_code"), 401, "invalid_code")
    assert finish_login(token, enrolled.code(), method="totp").status_code == 200
    assert_error(finish_login(token, "x", method="sms"), 400)


def test_with_no_recovery_codes_left_the_challenge_offers_totp_only(start_login, enrolled):
    RecoveryCode.objects.filter(user=enrolled.user).update(used_at=timezone.now())
    assert start_login(enrolled.user)["mfa_methods"] == ["totp"]


def test_the_back_off_of_django_otp_answers_429(start_login, finish_login, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    token = start_login(enrolled.user)["mfa_token"]
    assert_error(finish_login(token, enrolled.code(offset_steps=4)), 401, "invalid_code")

    response = finish_login(token, enrolled.code())

    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Recovery codes wait too: guessing them is no cheaper.
    assert_error(finish_login(token, enrolled.recovery_codes[0]), 429, "rate_limited")


def test_a_password_change_ends_the_sign_ins_waiting_for_a_code(start_login, finish_login, enrolled):
    token = start_login(enrolled.user)["mfa_token"]
    account_services.user_change_password(
        user=enrolled.user,
        old_password=DEFAULT_PASSWORD,
        new_password="plum-tractor-88",
        keep_session_id=None,
        request=None,
    )
    assert_error(finish_login(token, enrolled.code()), 401, "mfa_token_invalid")


def test_an_admin_reset_meanwhile_ends_the_challenge(start_login, finish_login, enrolled, superuser):
    from mfa.services import mfa_reset_by_admin

    token, code = start_login(enrolled.user)["mfa_token"], enrolled.code()
    mfa_reset_by_admin(user=enrolled.user, admin=superuser)
    assert_error(finish_login(token, code), 401, "mfa_token_invalid")
    # And the password alone signs in again.
    assert set(start_login(enrolled.user)) == LOGIN_BODY


def test_another_way_of_signing_in_gets_the_challenge_and_keeps_its_name(finish_login, enrolled):
    """Single sign-on calls sign_in too: the method flows through to the session ("google+totp")."""
    request = RequestFactory().post("/api/v1/oauth/callback/google", HTTP_USER_AGENT=UA)

    signed_in = session_services.sign_in(user=enrolled.user, request=request, method="google")

    assert signed_in.session is None
    assert signed_in.mfa_challenge is not None
    response = finish_login(signed_in.mfa_challenge.token, enrolled.code())
    assert response.json()["session"]["sign_in_method"] == "google+totp"


def test_a_wrong_password_still_answers_401_before_any_challenge(api_client, enrolled):
    response = api_client.post(LOGIN, {"email": enrolled.user.email, "password": "wrong"}, format="json")
    assert_error(response, 401, "invalid_credentials")
    assert not MfaChallenge.objects.exists()


def test_the_schema_documents_both_answers_of_login(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    ok = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {item["$ref"] for item in schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]["oneOf"]}
    assert refs == {"#/components/schemas/LoginResponse", "#/components/schemas/MfaChallenge"}
    mfa = schema["paths"]["/api/v1/auth/login/mfa"]["post"]["responses"]
    assert mfa["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LoginResponse"}
    assert mfa["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
