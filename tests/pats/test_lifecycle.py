"""What happens to a person's tokens when their credentials or their account change, and in the admin."""

import pytest

from accounts import services as account_services
from audit.models import AuditEvent
from pats.models import PersonalAccessToken
from privacy.services import account_anonymise
from tests.factories import DEFAULT_PASSWORD, AccountDeletionFactory, PersonalAccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def usable(token) -> bool:
    return PersonalAccessToken.objects.get(pk=token.pk).revoked_at is None


def test_a_password_change_keeps_them(rf):
    token = PersonalAccessTokenFactory()
    account_services.user_change_password(
        user=token.user, old_password=DEFAULT_PASSWORD, new_password="plum-tractor-88", request=rf.get("/")
    )
    assert usable(token)


def test_a_password_reset_revokes_them(rf):
    token = PersonalAccessTokenFactory()
    account_services.password_reset_confirm(
        token=account_services.password_reset_token_make(token.user),
        new_password="plum-tractor-88",
        request=rf.get("/"),
    )
    assert not usable(token)
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED).data["reason"] == "password_reset"


def test_a_deactivation_revokes_them():
    token = PersonalAccessTokenFactory()
    account_services.user_deactivate(user=token.user)
    assert not usable(token)


def test_anonymising_deletes_them():
    person = AccountDeletionFactory(deletion_scheduled_at="2000-01-01T00:00Z")
    PersonalAccessTokenFactory(user=person)
    account_anonymise(user_id=person.pk)
    assert not PersonalAccessToken.objects.filter(user=person).exists()


def test_the_admin_shows_no_secret_and_revokes(staff):
    token = PersonalAccessTokenFactory(user=UserFactory())
    page = staff.get(f"/admin/pats/personalaccesstoken/{token.pk}/change/")
    assert page.status_code == 200
    assert token.token_hash not in page.content.decode()
    assert token.secret not in page.content.decode()
    assert staff.get("/admin/pats/personalaccesstoken/add/").status_code == 403
    response = staff.post("/admin/pats/personalaccesstoken/", {"action": "revoke", "_selected_action": [str(token.pk)]})
    assert response.status_code == 302
    assert not usable(token)
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED).actor == staff.user
