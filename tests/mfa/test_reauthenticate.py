"""POST /auth/reauthenticate with a code of the authenticator app instead of the password."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from sessions_app.models import UserSession
from sessions_app.tokens import issue_token_pair
from tests.factories import DEFAULT_PASSWORD
from tests.mfa.conftest import REAUTH, TOTP
from tests.organizations.assertions import assert_error
from tests.sessions_app.test_tokens import claims_of

pytestmark = pytest.mark.django_db


def stale_client(client_for, user):
    client = client_for(user)
    UserSession.objects.filter(pk=client.session_row.pk).update(authenticated_at=timezone.now() - timedelta(hours=1))
    client.session_row.refresh_from_db()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(client.session_row)['access']}")
    return client


def test_a_code_re_authenticates(client_for, enrolled):
    client = stale_client(client_for, enrolled.user)
    assert_error(client.delete(TOTP), 403, "reauthentication_required")

    response = client.post(REAUTH, {"code": enrolled.code()}, format="json")

    assert response.status_code == 200, response.content
    assert claims_of(response.json()["access"])["auth_time"] >= int(time.time()) - 1
    event = AuditEvent.objects.get(user=enrolled.user, kind=AuditEvent.Kind.REAUTHENTICATED)
    assert event.data == {"method": "totp"}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.delete(TOTP).status_code == 204


def test_an_account_without_a_password_re_authenticates_with_a_code(client_for, enrolled):
    enrolled.user.set_unusable_password()
    enrolled.user.save(update_fields=["password"])
    client = stale_client(client_for, enrolled.user)
    assert_error(client.post(REAUTH, {"password": DEFAULT_PASSWORD}, format="json"), 400, "invalid")
    assert client.post(REAUTH, {"code": enrolled.code()}, format="json").status_code == 200


def test_a_used_code_does_not_re_authenticate_twice(client_for, enrolled):
    client = client_for(enrolled.user)
    code = enrolled.code()
    assert client.post(REAUTH, {"code": code}, format="json").status_code == 200
    body = assert_error(client.post(REAUTH, {"code": code}, format="json"), 400, "invalid")
    assert body["errors"][0]["field"] == "code"


def test_a_wrong_code_is_a_400_on_the_field_and_audited(client_for, enrolled):
    body = assert_error(
        client_for(enrolled.user).post(REAUTH, {"code": enrolled.code(offset_steps=5)}, format="json"), 400, "invalid"
    )
    assert body["errors"][0]["field"] == "code"
    event = AuditEvent.objects.get(user=enrolled.user, kind=AuditEvent.Kind.MFA_FAILED)
    assert event.data == {"method": "totp", "reauthentication": True}


def test_a_code_without_a_second_factor_is_a_400(auth_client):
    body = assert_error(auth_client.post(REAUTH, {"code": "123456"}, format="json"), 400, "mfa_not_enabled")
    assert body["errors"][0]["field"] == "code"


@pytest.mark.parametrize("body", [{}, {"password": DEFAULT_PASSWORD, "code": "123456"}])
def test_the_password_or_a_code_not_both_nor_neither(auth_client, body):
    assert_error(auth_client.post(REAUTH, body, format="json"), 400, "password_or_code")


def test_the_password_still_re_authenticates_with_a_second_factor_on(client_for, enrolled):
    assert client_for(enrolled.user).post(REAUTH, {"password": DEFAULT_PASSWORD}, format="json").status_code == 200
