import re

import pytest
from django.core import mail

from audit.models import AuditEvent
from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/password/change"
RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
ME = "/api/v1/users/me"
NEW_PASSWORD = "quiet-lantern-42"


def test_change_password_ends_every_other_session(client_for, user):
    current, other = client_for(user), client_for(user)
    response = current.post(CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert current.get(ME).status_code == 200
    assert other.get(ME).status_code == 401
    assert UserSession.objects.get(pk=other.session_row.pk).revoked_reason == "password_change"
    assert AuditEvent.objects.filter(kind="password_changed", user=user).exists()


def test_change_password_checks_the_old_one_and_the_validators(auth_client):
    response = auth_client.post(CHANGE, {"old_password": "wrong", "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "old_password"
    response = auth_client.post(CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": "123"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"new_password"}


def token_from(message) -> str:
    return re.search(r"token=([\w.:-]+)", message.body).group(1)


def request_reset(api_client, email, capture):
    with capture(execute=True):  # the email task is enqueued on commit
        return api_client.post(RESET, {"email": email})


def test_reset_emails_a_one_time_token_that_sets_the_password_and_ends_all_sessions(
    api_client, client_for, user, django_capture_on_commit_callbacks
):
    signed_in = client_for(user)
    response = request_reset(api_client, user.email.upper(), django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "reset" in message.subject.lower()
    assert message.alternatives, "an HTML part too"
    token = token_from(message)

    assert api_client.post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in.get(ME).status_code == 401
    assert AuditEvent.objects.filter(kind="password_reset", user=user).exists()

    again = api_client.post(CONFIRM, {"token": token, "new_password": "another-lantern-43"})
    assert again.status_code == 400
    assert again.json()["errors"][0] == {
        "code": "invalid_token",
        "field": "token",
        "message": "This reset link is invalid or has expired.",
    }


def test_reset_of_an_unknown_email_answers_the_same_and_sends_nothing(api_client, django_capture_on_commit_callbacks):
    response = request_reset(api_client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert mail.outbox == []


def test_reset_confirm_validates_the_new_password(api_client, user, django_capture_on_commit_callbacks):
    request_reset(api_client, user.email, django_capture_on_commit_callbacks)
    response = api_client.post(CONFIRM, {"token": token_from(mail.outbox[0]), "new_password": "password"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"new_password"}


@pytest.mark.parametrize("token", ["", "garbage", "Zm9v.bar", "!!!.???", "a" * 150])
def test_reset_confirm_with_bad_tokens(api_client, token):
    response = api_client.post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400


def test_deactivating_a_user_ends_all_sessions(client_for):
    from accounts.services import user_deactivate

    user = UserFactory()
    clients = [client_for(user), client_for(user)]
    user_deactivate(user=user)
    for client in clients:
        assert client.get(ME).status_code == 401
    assert set(UserSession.objects.filter(user=user).values_list("revoked_reason", flat=True)) == {"user_deactivated"}
