"""Email verification as a frontend meets it: registration emails a link and a code, either confirms the
address once, resending replaces them, and the code cannot be guessed without limit."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import EmailVerification, User
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, EmailVerificationFactory, UserFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/email/verify"
RESEND = "/api/v1/auth/email/resend"
ME = "/api/v1/users/me"
LINK = re.compile(r"https://app\.example\.com/verify-email\?token=([A-Za-z0-9_-]+)")
CODE = re.compile(r"code in the app: (\d{6})")


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_URL = "https://app.example.com/"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a request and the work it enqueues on commit (the email), as production would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def link_and_code(message) -> tuple[str, str]:
    return LINK.search(message.body).group(1), CODE.search(message.body).group(1)


def register(send, api_client, email="new@example.com"):
    payload = {"email": email, "username": email.split("@")[0].replace(".", "_"), "password": "plum-tractor-88"}
    response = send(api_client.post, REGISTER, payload)
    assert response.status_code == 201, response.content
    return User.objects.get(pk=response.json()["id"])


def kinds(user) -> list[str]:
    return list(AuditEvent.objects.filter(user=user).order_by("created_at").values_list("kind", flat=True))


class TestRegistration:
    def test_emails_a_link_and_a_code_and_the_account_starts_unverified(self, send, api_client, client_for):
        user = register(send, api_client)
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["new@example.com"]
        assert "Verify" in message.subject
        token, code = link_and_code(message)
        html, _ = message.alternatives[0]
        assert f"https://app.example.com/verify-email?token={token}" in html
        assert code in html
        assert client_for(user).get(ME).json()["email_verified"] is False
        assert kinds(user) == [AuditEvent.Kind.EMAIL_VERIFICATION_SENT]

    def test_only_hashes_are_stored(self, send, api_client):
        user = register(send, api_client)
        token, code = link_and_code(mail.outbox[0])
        row = EmailVerification.objects.values().get(user=user)
        assert token not in str(row)
        assert code not in {row["code_hash"], row["token_hash"]}

    def test_the_link_verifies_once(self, send, api_client, client_for):
        user = register(send, api_client)
        token, _ = link_and_code(mail.outbox[0])
        response = api_client.post(VERIFY, {"token": token})
        assert response.status_code == 200, response.content
        assert response.json() == {"email": "new@example.com", "email_verified": True, "email_changed": False}
        assert client_for(user).get(ME).json()["email_verified"] is True
        assert_error(api_client.post(VERIFY, {"token": token}), 410, "verification_used")
        assert kinds(user)[-1] == AuditEvent.Kind.EMAIL_VERIFIED
        assert AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.EMAIL_VERIFIED).data["method"] == "link"

    def test_the_code_verifies_with_the_email(self, send, api_client):
        user = register(send, api_client)
        _, code = link_and_code(mail.outbox[0])
        response = api_client.post(VERIFY, {"email": "NEW@example.com", "code": code})
        assert response.status_code == 200, response.content
        user.refresh_from_db()
        assert user.email_verified
        # The link of the same email is spent with it.
        token, _ = link_and_code(mail.outbox[0])
        assert_error(api_client.post(VERIFY, {"token": token}), 410, "verification_used")

    def test_a_superuser_made_account_is_verified_by_its_owner_too(self, send, client_for):
        admin = client_for(UserFactory(is_superuser=True, is_staff=True))
        payload = {"email": "made@example.com", "username": "made", "password": "plum-tractor-88"}
        assert send(admin.post, "/api/v1/users", payload).status_code == 201
        assert not User.objects.get(email="made@example.com").email_verified
        assert [message.to for message in mail.outbox] == [["made@example.com"]]


class TestVerifyRefusals:
    def test_an_unknown_token(self, api_client):
        body = assert_error(api_client.post(VERIFY, {"token": "not-a-token"}), 400, "invalid_token")
        assert body["errors"][0]["field"] == "token"

    def test_an_expired_link(self, send, api_client):
        user = register(send, api_client)
        token, _ = link_and_code(mail.outbox[0])
        EmailVerification.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert_error(api_client.post(VERIFY, {"token": token}), 410, "verification_expired")
        user.refresh_from_db()
        assert not user.email_verified

    def test_an_expired_code(self, send, api_client):
        user = register(send, api_client)
        _, code = link_and_code(mail.outbox[0])
        EmailVerification.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert_error(api_client.post(VERIFY, {"email": user.email, "code": code}), 400, "invalid_code")

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({}, {"email", "code"}),
            ({"email": "a@example.com"}, {"code"}),
            ({"code": "123456"}, {"email"}),
            ({"email": "a@example.com", "code": "12ab56"}, {"code"}),
            ({"token": "x", "code": "123456"}, {None}),
        ],
    )
    def test_the_body_is_a_token_or_an_email_and_a_code(self, api_client, body, fields):
        response = assert_error(api_client.post(VERIFY, body, format="json"), 400)
        assert {error["field"] for error in response["errors"]} == fields

    def test_wrong_codes_are_bounded_per_verification(self, send, api_client, settings):
        settings.EMAIL_VERIFICATION_CODE_ATTEMPTS = 3
        user = register(send, api_client)
        _, code = link_and_code(mail.outbox[0])
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(3):
            assert_error(api_client.post(VERIFY, {"email": user.email, "code": wrong}), 400, "invalid_code")
        # The right code no longer helps: this email is spent; a new one must be asked for.
        assert_error(api_client.post(VERIFY, {"email": user.email, "code": code}), 400, "invalid_code")
        user.refresh_from_db()
        assert not user.email_verified

    def test_codes_tried_per_address_are_rate_limited(self, send, api_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_verify_account": "2/h"}
        user = register(send, api_client)
        for _ in range(2):
            assert_error(api_client.post(VERIFY, {"email": user.email, "code": "000000"}), 400)
        response = api_client.post(VERIFY, {"email": user.email, "code": "000000"})
        assert_error(response, 429, "rate_limited")
        assert int(response["Retry-After"]) > 0

    def test_verifications_are_rate_limited_per_address(self, api_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_verify_ip": "2/h"}
        for _ in range(2):
            assert_error(api_client.post(VERIFY, {"token": "nope"}), 400)
        assert_error(api_client.post(VERIFY, {"token": "nope"}), 429, "rate_limited")

    def test_a_deactivated_account_is_not_verified(self, send, api_client):
        user = register(send, api_client)
        token, _ = link_and_code(mail.outbox[0])
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert_error(api_client.post(VERIFY, {"token": token}), 400, "invalid_token")


class TestResend:
    def test_signed_in_resend_replaces_the_previous_email(self, send, api_client, client_for):
        user = register(send, api_client)
        old_token, old_code = link_and_code(mail.outbox[0])
        response = send(client_for(user).post, RESEND, {}, format="json")
        assert response.status_code == 202
        assert len(mail.outbox) == 2
        assert_error(api_client.post(VERIFY, {"token": old_token}), 400, "invalid_token")
        assert_error(api_client.post(VERIFY, {"email": user.email, "code": old_code}), 400, "invalid_code")
        token, _ = link_and_code(mail.outbox[1])
        assert api_client.post(VERIFY, {"token": token}).status_code == 200

    def test_signed_in_with_nothing_to_verify(self, client_for):
        response = client_for(UserFactory()).post(RESEND, {}, format="json")
        assert_error(response, 409, "email_already_verified")

    def test_by_email_answers_alike_whether_or_not_an_account_waits(self, send, api_client):
        user = register(send, api_client)
        verified = UserFactory()
        mail.outbox.clear()
        answers = [
            send(api_client.post, RESEND, {"email": email}).status_code
            for email in (user.email.upper(), verified.email, "nobody@example.com")
        ]
        assert answers == [202, 202, 202]
        assert [message.to for message in mail.outbox] == [[user.email]]

    def test_not_signed_in_needs_the_email(self, api_client):
        body = assert_error(api_client.post(RESEND, {}, format="json"), 400)
        assert body["errors"][0]["field"] == "email"

    def test_rate_limited_per_account(self, send, api_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_resend_account": "2/h"}
        user = register(send, api_client)
        for _ in range(2):
            assert send(api_client.post, RESEND, {"email": user.email}).status_code == 202
        assert_error(api_client.post(RESEND, {"email": user.email}), 429, "rate_limited")

    def test_rate_limited_per_ip(self, api_client, settings):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_resend_ip": "2/h"}
        for n in range(2):
            assert api_client.post(RESEND, {"email": f"a{n}@example.com"}).status_code == 202
        assert_error(api_client.post(RESEND, {"email": "a9@example.com"}), 429, "rate_limited")


class TestOtherProofs:
    def test_a_password_reset_proves_the_address(self, api_client, django_capture_on_commit_callbacks):
        user = UserFactory(unverified=True)
        with django_capture_on_commit_callbacks(execute=True):
            api_client.post("/api/v1/auth/password/reset", {"email": user.email})
        token = re.search(r"token=(\S+)", mail.outbox[0].body).group(1)
        response = api_client.post(
            "/api/v1/auth/password/reset/confirm", {"token": token, "new_password": "plum-tractor-99"}
        )
        assert response.status_code == 204
        user.refresh_from_db()
        assert user.email_verified
        event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.EMAIL_VERIFIED)
        assert event.data["method"] == "password_reset"

    def test_a_verification_for_a_previous_address_proves_nothing(self, api_client):
        verification = EmailVerificationFactory(email="old@example.com")
        from accounts.services import email_verification_send

        email_verification_send(verification_id=verification.pk)
        token, _ = link_and_code(mail.outbox[0])
        assert_error(api_client.post(VERIFY, {"token": token}), 400, "invalid_token")
        verification.user.refresh_from_db()
        assert not verification.user.email_verified


class TestSignInRequirement:
    LOGIN = "/api/v1/auth/login"

    def test_off_by_default(self, api_client):
        user = UserFactory(unverified=True)
        assert api_client.post(self.LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200

    def test_on_refuses_the_right_password_until_verified(self, api_client, settings):
        settings.REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN = True
        user = UserFactory(unverified=True)
        response = api_client.post(self.LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
        body = assert_error(response, 403, "email_not_verified")
        assert "access" not in body
        assert not user.login_sessions.exists()
        # A wrong password still answers as any wrong password: nothing said about verification.
        assert_error(api_client.post(self.LOGIN, {"email": user.email, "password": "nope"}), 401)
        User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
        assert api_client.post(self.LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
