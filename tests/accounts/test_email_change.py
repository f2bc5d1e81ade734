"""Changing one's email: the current password, a verification to the new address and a notice to the old
one; the change takes effect only when the new address is verified, and only if it is still free."""

import re

import pytest
from django.core import mail

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
VERIFY = "/api/v1/auth/email/verify"
RESEND = "/api/v1/auth/email/resend"
LINK = re.compile(r"verify-email\?token=([A-Za-z0-9_-]+)")
CODE = re.compile(r"code in the app: (\d{6})")


@pytest.fixture
def me(client_for):
    return client_for(UserFactory(email="ana@example.com", username="ana"))


@pytest.fixture
def change(me, django_capture_on_commit_callbacks):
    """``change(email)``: PATCH /users/me with the new email and the password, running the emails it enqueues."""

    def run(email, password=DEFAULT_PASSWORD, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or me).patch(ME, {"email": email, "current_password": password})

    return run


def to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_asks_and_waits_for_the_new_address(me, change, api_client):
    response = change("Ana.New@Example.com")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["pending_email"], body["email_verified"]) == (
        "ana@example.com",
        "ana.new@example.com",
        True,
    )
    (verification,) = to("ana.new@example.com")
    (notice,) = to("ana@example.com")
    assert "Confirm your new" in verification.subject
    assert "ana.new@example.com" in notice.body
    assert "verify-email" not in notice.body  # the old address gets no way to confirm the change
    # Until confirmed, the old address still signs in and the new one does not.
    login = "/api/v1/auth/login"
    assert api_client.post(login, {"email": "ana@example.com", "password": DEFAULT_PASSWORD}).status_code == 200
    assert api_client.post(login, {"email": "ana.new@example.com", "password": DEFAULT_PASSWORD}).status_code == 401

    token = LINK.search(verification.body).group(1)
    response = api_client.post(VERIFY, {"token": token})
    assert response.status_code == 200, response.content
    assert response.json() == {"email": "ana.new@example.com", "email_verified": True, "email_changed": True}
    body = me.get(ME).json()
    assert (body["email"], body["pending_email"], body["email_verified"]) == ("ana.new@example.com", "", True)
    kinds = set(AuditEvent.objects.filter(user=me.user).values_list("kind", flat=True))
    assert {AuditEvent.Kind.EMAIL_CHANGE_REQUESTED, AuditEvent.Kind.EMAIL_CHANGED} <= kinds
    changed = AuditEvent.objects.get(user=me.user, kind=AuditEvent.Kind.EMAIL_CHANGED)
    assert changed.data["from"] == "ana@example.com"
    assert changed.data["to"] == "ana.new@example.com"


def test_the_code_confirms_too(me, change, api_client):
    change("ana.new@example.com")
    code = CODE.search(to("ana.new@example.com")[0].body).group(1)
    # The code goes with the address it was sent to, not the current one.
    assert_error(api_client.post(VERIFY, {"email": "ana@example.com", "code": code}), 400, "invalid_code")
    assert api_client.post(VERIFY, {"email": "ana.new@example.com", "code": code}).status_code == 200
    assert User.objects.get(pk=me.user.pk).email == "ana.new@example.com"


def test_needs_the_current_password(me, change):
    assert_error(change("ana.new@example.com", password="wrong"), 400, "invalid")
    assert_error(me.patch(ME, {"email": "ana.new@example.com"}), 400, "invalid")
    assert mail.outbox == []
    assert User.objects.get(pk=me.user.pk).pending_email == ""


def test_a_taken_address_is_refused_at_once(change):
    UserFactory(email="taken@example.com")
    body = assert_error(change("TAKEN@example.com"), 400, "email_taken")
    assert body["errors"][0]["field"] == "email"
    assert mail.outbox == []


def test_an_address_taken_meanwhile_is_a_conflict_at_confirmation(me, change, api_client):
    change("ana.new@example.com")
    token = LINK.search(to("ana.new@example.com")[0].body).group(1)
    UserFactory(email="ana.new@example.com")  # someone registered it before Ana confirmed
    assert_error(api_client.post(VERIFY, {"token": token}), 409, "email_taken")
    assert User.objects.get(pk=me.user.pk).email == "ana@example.com"


def test_a_newer_request_replaces_the_older_and_the_current_email_cancels(me, change, api_client):
    change("first@example.com")
    first = LINK.search(to("first@example.com")[0].body).group(1)
    change("second@example.com")
    assert_error(api_client.post(VERIFY, {"token": first}), 400, "invalid_token")
    second = LINK.search(to("second@example.com")[0].body).group(1)
    # Giving the current email again cancels the pending change, without the password.
    response = me.patch(ME, {"email": "ana@example.com"})
    assert response.status_code == 200
    assert response.json()["pending_email"] == ""
    assert_error(api_client.post(VERIFY, {"token": second}), 400, "invalid_token")
    assert User.objects.get(pk=me.user.pk).email == "ana@example.com"


def test_resend_sends_the_pending_address_again(me, change, django_capture_on_commit_callbacks):
    change("ana.new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert me.post(RESEND, {}, format="json").status_code == 202
    assert len(to("ana.new@example.com")) == 2


def test_an_unverified_account_can_move_to_a_proven_address(client_for, change, api_client):
    """A typo at registration: the new address, once verified, is the account's verified email."""
    client = client_for(UserFactory(unverified=True))
    change("fixed@example.com", client=client)
    token = LINK.search(to("fixed@example.com")[0].body).group(1)
    assert api_client.post(VERIFY, {"token": token}).status_code == 200
    user = User.objects.get(pk=client.user.pk)
    assert (user.email, user.email_verified) == ("fixed@example.com", True)


def test_rate_limited_per_account(me, change, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_change_account": "2/h"}
    assert_error(change("a@example.com", password="wrong"), 400)
    assert_error(change("b@example.com", password="wrong"), 400)
    assert_error(change("c@example.com"), 429, "rate_limited")
    # Other profile edits are not counted nor limited.
    assert me.patch(ME, {"full_name": "Ana"}).status_code == 200


def test_rate_limited_per_ip(client_for, change, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_change_ip": "2/h"}
    for n in range(2):
        assert change(f"n{n}@example.com", client=client_for(UserFactory())).status_code == 200
    assert_error(change("n9@example.com", client=client_for(UserFactory())), 429, "rate_limited")
