"""The weekly report email: on per organization, to its owners and admins, once per week."""

import pytest
from django.conf import settings
from django.core import mail

from organizations.models import Role
from reports import tasks
from reports.models import ReportSettings
from tasks_app.models import Status
from tests.factories import MembershipFactory
from tests.reports.conftest import d

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly_on(org, client_as):
    response = client_as("admin").patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "organization": str(org.id),
        "weekly_email": True,
        "weekly_email_last_week": None,
        "weekly_email_last_sent_at": None,
    }
    return org


@pytest.fixture
def beat(django_capture_on_commit_callbacks):
    """The weekly beat task as beat runs it, outside a transaction: its sends are enqueued at once
    (the tests run inside one, whose commit never comes)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.send_weekly_reports()

    return run


def test_is_scheduled_weekly_by_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-report-emails"]
    assert entry["task"] == "reports.tasks.send_weekly_reports"
    assert entry["schedule"].day_of_week == {1}  # Mondays


def test_is_off_by_default(org, client_as, freeze_today, beat):
    assert client_as("viewer").get(f"/api/v1/reports/{org.id}/settings").json()["weekly_email"] is False
    freeze_today("2030-01-14")
    assert beat() == 0
    assert mail.outbox == []


def test_one_email_per_owner_and_admin(weekly_on, org, make_task, freeze_today, beat):
    make_task(created="2030-01-08 09:00", status=Status.DONE, completed="2030-01-09 09:00", assignee=org.member)
    make_task(created="2030-01-10 09:00", due_date=d("2030-01-11"), assignee=org.member)
    freeze_today("2030-01-14")  # Monday: reports 2030-W02, 7 to 13 January
    assert beat() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.owner.email, org.admin.email])
    message = mail.outbox[0]
    assert message.subject == "Acme: weekly report for 2030-W02"
    assert "Created this week:    2" in message.body
    assert "Completed this week:  1" in message.body
    assert "Overdue:  1 (not done, due before 13 Jan 2030)" in message.body
    assert "median 24.0 h" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Acme" in html


def test_running_twice_in_a_week_sends_once(weekly_on, org, freeze_today, beat):
    freeze_today("2030-01-14")
    beat()
    beat()
    freeze_today("2030-01-17")  # later the same week
    assert beat() == 0
    assert tasks.send_weekly_report(str(org.id), "2030-01-07") == 0  # a redelivered message
    assert len(mail.outbox) == 2
    row = ReportSettings.objects.get(organization=org.organization)
    assert row.weekly_email_last_week == d("2030-01-07")
    freeze_today("2030-01-21")  # the next week: sent again
    beat()
    assert len(mail.outbox) == 4
    assert mail.outbox[-1].subject == "Acme: weekly report for 2030-W03"


def test_members_viewers_inactive_admins_and_other_organizations_get_none(
    weekly_on, org, other_org, freeze_today, beat
):
    inactive = MembershipFactory(organization=org.organization, role=Role.ADMIN).user
    inactive.is_active = False
    inactive.save()
    freeze_today("2030-01-14")
    beat()
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {org.owner.email, org.admin.email}


def test_turning_it_off_stops_it(weekly_on, org, client_as, freeze_today, beat):
    client_as("owner").patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": False})
    freeze_today("2030-01-14")
    assert beat() == 0
    assert tasks.send_weekly_report(str(org.id), "2030-01-07") == 0
    assert mail.outbox == []


def test_a_bad_settings_value_answers_400(org, client_as):
    response = client_as("admin").patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": "sometimes"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "weekly_email"


def test_a_deleted_organization_gets_none(weekly_on, org, freeze_today, beat):
    from organizations.services import organization_delete

    organization_delete(organization=org.organization, actor=None)
    freeze_today("2030-01-14")
    assert beat() == 0
    assert tasks.send_weekly_report(str(org.id), "2030-01-07") == 0  # a message enqueued before the deletion
    assert mail.outbox == []
