"""Staff see an account's verification state in the admin and may vouch for an address (audited)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import EmailVerificationFactory, UserFactory, user_change_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/?email_verified=no",
        "/admin/accounts/emailverification/",
        "/admin/accounts/emailverification/?purpose__exact=change",
    ],
)
def test_pages_load(staff, url):
    EmailVerificationFactory()
    assert staff.get(url).status_code == 200


def test_the_user_page_shows_verification_and_links_to_its_emails(staff):
    verification = EmailVerificationFactory()
    user = verification.user
    User.objects.filter(pk=user.pk).update(pending_email="next@example.com")
    page = staff.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "next@example.com" in page
    assert "1 sent" in page
    listing = staff.get(f"/admin/accounts/emailverification/?user={user.pk}")
    assert listing.status_code == 200
    assert verification.email in listing.content.decode()


def test_the_filter_tells_verified_from_unverified(staff):
    waiting, done = UserFactory(unverified=True), UserFactory()
    page = staff.get("/admin/accounts/user/?email_verified=no").content.decode()
    assert waiting.email in page
    assert done.email not in page


def test_marking_verified_is_audited_with_the_staff_member(staff):
    user = UserFactory(unverified=True)
    response = staff.post(
        "/admin/accounts/user/", {"action": "mark_email_verified", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_verified
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.EMAIL_VERIFIED)
    assert (event.actor, event.data["method"]) == (staff.user, "admin")


def test_verification_rows_are_read_only(staff):
    verification = EmailVerificationFactory()
    assert staff.get("/admin/accounts/emailverification/add/").status_code == 403
    page = staff.get(f"/admin/accounts/emailverification/{verification.pk}/change/")
    assert page.status_code == 200
    assert "code_hash" not in page.content.decode()


def test_staff_typing_a_new_email_leaves_it_unverified(staff):
    user = UserFactory()
    data = user_change_form(user, email="typed.by.staff@example.com")
    assert staff.post(f"/admin/accounts/user/{user.pk}/change/", data).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("typed.by.staff@example.com", False)


def test_reactivating_an_account_in_the_form_cancels_its_pending_deletion(staff):
    user = UserFactory(is_active=False, deletion_scheduled_at=timezone.now() + timedelta(days=3))
    data = user_change_form(user, is_active=True)
    response = staff.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.is_active
    assert user.deletion_scheduled_at is None
