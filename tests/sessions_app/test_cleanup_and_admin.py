from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from sessions_app.models import UserSession
from sessions_app.services import sessions_purge
from tests.factories import UserSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged_sessions(client_for, user):
    """One live session, one revoked 40 days ago, one expired 40 days ago, one revoked yesterday."""
    sessions = {name: client_for(user).session_row for name in ("live", "old_revoked", "old_expired", "recent")}
    long_ago = timezone.now() - timedelta(days=40)
    UserSession.objects.filter(pk=sessions["old_revoked"].pk).update(revoked_at=long_ago)
    UserSession.objects.filter(pk=sessions["old_expired"].pk).update(expires_at=long_ago)
    UserSession.objects.filter(pk=sessions["recent"].pk).update(revoked_at=timezone.now() - timedelta(days=1))
    return sessions


def remaining(sessions):
    ids = set(UserSession.objects.values_list("pk", flat=True))
    return {name for name, session in sessions.items() if session.pk in ids}


def test_purge_deletes_sessions_that_ended_long_ago_in_batches(aged_sessions, capsys):
    call_command("purge", only=["sessions"], batch_size=1)
    assert remaining(aged_sessions) == {"live", "recent"}
    assert "sessions: 2 sessions removed" in capsys.readouterr().out


def test_the_age_is_the_retention_setting(aged_sessions, settings):
    settings.SESSION_RETENTION_DAYS = 0
    assert sessions_purge() == 3
    assert remaining(aged_sessions) == {"live"}


def test_the_boundary_is_exclusive(user):
    """Ended exactly SESSION_RETENTION_DAYS ago: kept; a second more: deleted."""
    now = timezone.now()
    cutoff = now - timedelta(days=30)
    at_cutoff = UserSessionFactory(user=user, revoked_at=cutoff)
    past = UserSessionFactory(user=user, expires_at=cutoff - timedelta(seconds=1))
    assert sessions_purge(now=now, dry_run=True) == 1
    assert sessions_purge(now=now) == 1
    assert set(UserSession.objects.values_list("pk", flat=True)) == {at_cutoff.pk}
    assert not UserSession.objects.filter(pk=past.pk).exists()


class TestAdmin:
    def test_revoke_action_on_sessions(self, staff, client_for, user):
        target = client_for(user)
        response = staff.post(
            reverse("admin:sessions_app_usersession_changelist"),
            {"action": "revoke_sessions", "_selected_action": [str(target.session_row.pk)]},
        )
        assert response.status_code == 302
        assert target.get("/api/v1/users/me").status_code == 401
        event = AuditEvent.objects.get(kind="session_revoked_by_admin")
        assert event.actor == staff.user
        assert event.user == user

    def test_deactivate_action_ends_sessions(self, staff, client_for, user):
        target = client_for(user)
        staff.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "deactivate_users", "_selected_action": [str(user.pk)]},
        )
        user.refresh_from_db()
        assert not user.is_active
        assert target.get("/api/v1/users/me").status_code == 401

    def test_revoke_all_sessions_action(self, staff, client_for, user):
        targets = [client_for(user), client_for(user)]
        staff.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "revoke_all_sessions", "_selected_action": [str(user.pk)]},
        )
        assert all(t.get("/api/v1/users/me").status_code == 401 for t in targets)
        user.refresh_from_db()
        assert user.is_active

    @pytest.mark.parametrize(
        "url",
        [
            "admin:accounts_user_changelist",
            "admin:sessions_app_usersession_changelist",
            "admin:audit_auditevent_changelist",
        ],
    )
    def test_admin_pages_render_with_filters(self, staff, client_for, user, url):
        client_for(user)
        assert staff.get(reverse(url)).status_code == 200
        assert staff.get(reverse(url) + "?q=example").status_code == 200

    def test_user_page_shows_sessions_inline(self, staff, client_for, user):
        session = client_for(user).session_row
        page = staff.get(reverse("admin:accounts_user_change", args=[user.pk]))
        assert page.status_code == 200
        assert session.device_name in page.content.decode()

    def test_audit_log_is_read_only(self, staff, user):
        from audit.services import audit_record

        event = audit_record(kind=AuditEvent.Kind.LOGIN_FAILED, identifier="x@example.com")
        assert staff.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200
        staff.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
        assert AuditEvent.objects.filter(pk=event.pk).exists()
