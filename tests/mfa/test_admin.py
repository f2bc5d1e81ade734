"""Staff see people's second factors in the admin and reset them; no secret is shown."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from mfa.models import RecoveryCode
from sessions_app.models import UserSession
from tests.factories import MfaChallengeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/mfa/secondfactoruser/",
        "/admin/mfa/secondfactoruser/?q=example",
        "/admin/mfa/recoverycode/",
        "/admin/mfa/mfachallenge/",
        "/admin/otp_totp/totpdevice/",
    ],
)
def test_pages_render(staff, enrolled, url):
    MfaChallengeFactory(user=enrolled.user)
    assert staff.get(url).status_code == 200


def test_a_person_page_shows_their_factors_and_no_secret(staff, enrolled):
    page = staff.get(f"/admin/mfa/secondfactoruser/{enrolled.user.pk}/change/").content.decode()
    assert enrolled.user.email in page
    assert "recovery codes left" in page.lower()
    assert enrolled.device.key not in page
    device_page = staff.get(f"/admin/otp_totp/totpdevice/{enrolled.device.pk}/change/").content.decode()
    assert enrolled.device.key not in device_page
    listing = staff.get("/admin/mfa/secondfactoruser/").content.decode()
    assert ">10<" in listing  # the recovery codes left


def test_the_reset_action_removes_every_factor_audited_and_keeps_the_sessions(staff, enrolled, client_for):
    session = client_for(enrolled.user).session_row
    bystander = UserFactory()

    response = staff.post(
        "/admin/mfa/secondfactoruser/",
        {"action": "reset_second_factors", "_selected_action": [enrolled.user.pk, bystander.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert not RecoveryCode.objects.filter(user=enrolled.user).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_RESET_BY_ADMIN)
    assert event.user == enrolled.user
    assert event.actor == staff.user
    # Nothing to reset for the bystander: no event.
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_RESET_BY_ADMIN, user=bystander).exists()
    session.refresh_from_db()
    assert session.revoked_at is None
    assert UserSession.objects.filter(user=enrolled.user, revoked_at__isnull=True).exists()


def test_the_admin_cannot_add_or_edit_factors(staff):
    assert staff.get("/admin/mfa/recoverycode/add/").status_code == 403
    assert staff.get("/admin/otp_totp/totpdevice/add/").status_code == 403
