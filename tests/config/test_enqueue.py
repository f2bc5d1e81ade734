"""``enqueue_on_commit``: a broker that refuses work never turns a committed request into a 500.

The broker is made to refuse by patching each task's ``delay`` to raise kombu's ``OperationalError``
(what a Redis that is down raises). The requests commit for real (a transactional test), so the
enqueue runs after the commit, as in production; the job rows stay pending, and the beat sweep
(``config.tasks.sweep_jobs``) hands them to a worker once the broker takes work again.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import tasks as account_tasks
from audit.models import AuditEvent
from config.jobs import job_option
from config.tasks import sweep_jobs
from organizations import tasks as organization_tasks
from organizations.models import Invitation, InvitationEmail
from reports import tasks as report_tasks
from reports.models import ExportState, ReportExport
from tests.factories import UserFactory, make_org_with_roles

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = [
    organization_tasks.invitation_email_send,
    report_tasks.build_report_export,
    account_tasks.send_password_reset_email,
]


@pytest.fixture
def broker_down(monkeypatch):
    """Every task's ``delay`` raises as a broker that is down does; ``refused`` lists what was refused."""
    refused = []

    def refuse(task):
        def delay(*args, **kwargs):
            refused.append((task.name, args))
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return delay

    for task in TASKS:
        monkeypatch.setattr(task, "delay", refuse(task))
    return refused


def overdue(model):
    """Move a model's pending rows past the sweep's grace, as time would."""
    grace = job_option(model, "job_pending_grace")
    model.objects.filter(state=model.job_pending).update(next_attempt_at=timezone.now() - timedelta(seconds=grace + 1))


def test_requests_answer_2xx_and_the_sweep_sends_their_jobs_once_the_broker_is_back(
    broker_down, monkeypatch, client_for, api_client, caplog
):
    org = make_org_with_roles(name="Acme")
    admin = client_for(org.admin)
    someone = UserFactory()

    invitation = admin.post(f"/api/v1/organizations/{org.id}/invitations", {"email": "new.person@example.com"})
    export = admin.post(f"/api/v1/reports/{org.id}/exports", {"format": "csv"})
    reset = api_client.post("/api/v1/auth/password/reset", {"email": someone.email})

    assert (invitation.status_code, export.status_code, reset.status_code) == (201, 202, 202)
    assert sorted(name for name, _ in broker_down) == sorted(task.name for task in TASKS)
    assert "the sweep will retry it" in caplog.text
    # Committed, and waiting for a worker.
    email = InvitationEmail.objects.get(invitation_id=invitation.json()["id"])
    assert email.state == "pending"
    assert ReportExport.objects.get(pk=export.json()["id"]).state == ExportState.PENDING
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_RESET_REQUESTED, user=someone).exists()
    assert mail.outbox == []

    # The broker is back; the sweep finds the rows past their grace and enqueues each once.
    broker_down.clear()
    monkeypatch.undo()  # the tasks' own delay again (eager here: run at once)
    overdue(InvitationEmail)
    overdue(ReportExport)
    swept = sweep_jobs()
    assert (swept["organizations.InvitationEmail"], swept["reports.ReportExport"]) == (1, 1)
    assert broker_down == []
    assert InvitationEmail.objects.get(pk=email.pk).state == "sent"
    assert ReportExport.objects.get(pk=export.json()["id"]).state == ExportState.SUCCEEDED
    (message,) = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert Invitation.objects.get(pk=invitation.json()["id"]).sent_at is not None
    # A second sweep finds nothing left to send.
    assert sweep_jobs()["organizations.InvitationEmail"] == sweep_jobs()["reports.ReportExport"] == 0
