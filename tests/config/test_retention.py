"""The retention policy (config/retention.py): the list, the batch helpers, ``manage.py purge`` and beat."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from config import tasks
from config.retention import delete_files_in_batches, delete_in_batches, retention_policies, retention_run
from idempotency.models import IdempotencyKey
from imports.models import ImportJob, ImportState
from notifications.models import DeliveryState, Notification, NotificationDelivery
from oauth_server.models import AccessToken
from org_webhooks.models import WebhookDelivery
from organizations.models import Organization
from orgaudit.models import OrganizationAuditRecord
from privacy.models import DataExport
from reports.models import ExportState, ReportExport
from sessions_app.models import UserSession
from tasks_app.models import Task
from tests.factories import (
    AccessTokenFactory,
    AuditEventFactory,
    DataExportFactory,
    IdempotencyKeyFactory,
    ImportJobFactory,
    NotificationDeliveryFactory,
    NotificationFactory,
    OrganizationAuditRecordFactory,
    OrganizationFactory,
    ReportExportFactory,
    TaskFactory,
    UserSessionFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db

POLICY_NAMES = [
    "sessions",
    "read_notifications",
    "deliveries",
    "webhook_deliveries",
    "import_files",
    "report_files",
    "data_exports",
    "oauth_tokens",  # tests/oauth_server/test_cleanup.py
    "audit",
    "organization_audit",  # tests/orgaudit/test_audit_log_api.py
    "idempotency_keys",  # tests/idempotency/test_idempotency_keys.py
    "trash",  # tests/tasks_app/test_trash.py
    "deleted_organizations",  # tests/organizations/test_deletion.py
]
LONG_AGO = timedelta(days=1000)


def deletes(queries) -> int:
    return sum(1 for query in queries if query["sql"].lstrip().upper().startswith("DELETE"))


def updates(queries) -> int:
    return sum(1 for query in queries if query["sql"].lstrip().upper().startswith("UPDATE"))


class TestPolicies:
    def test_every_policy_is_listed_once_in_order_with_its_setting(self, settings):
        policies = retention_policies()
        assert [policy.name for policy in policies] == POLICY_NAMES
        for policy in policies:
            assert isinstance(getattr(settings, policy.setting), int)
            assert callable(policy.purge)
            assert "{age}" in policy.description

    def test_the_defaults_are_the_documented_ones(self, settings):
        assert settings.SESSION_RETENTION_DAYS == 30
        assert settings.RETENTION_READ_NOTIFICATIONS_DAYS == 90
        assert settings.RETENTION_DELIVERIES_DAYS == 30
        assert settings.RETENTION_IMPORT_FILES_DAYS == 7
        assert settings.RETENTION_REPORT_FILES_DAYS == 7
        assert settings.RETENTION_AUDIT_DAYS == 400

    def test_a_summary_names_the_current_age_and_its_setting(self, settings):
        settings.RETENTION_AUDIT_DAYS = 12
        (audit,) = retention_policies(["audit"])
        assert audit.summary == "security audit events older than 12 days (RETENTION_AUDIT_DAYS)"

    def test_an_unknown_name_is_refused(self):
        with pytest.raises(ValueError, match="Unknown retention policy: nope"):
            retention_policies(["sessions", "nope"])

    def test_a_failing_policy_does_not_stop_the_others(self, settings):
        settings.RETENTION_POLICIES = [
            {**entry, "purge": "tests.config.test_retention.broken_purge"} if entry["name"] == "sessions" else entry
            for entry in settings.RETENTION_POLICIES
        ]
        AuditEventFactory(created_at=timezone.now() - LONG_AGO)
        results = {result.policy.name: result for result in retention_run()}
        assert results["sessions"].error == "RuntimeError: storage unreachable"
        assert results["audit"].removed == 1


def broken_purge(**kwargs) -> int:
    raise RuntimeError("storage unreachable")


class TestBatches:
    def test_five_rows_in_batches_of_two_take_three_short_deletes(self):
        AuditEventFactory.create_batch(5)
        with CaptureQueriesContext(connection) as queries:
            assert delete_in_batches(AuditEvent.objects.all(), batch_size=2, dry_run=False) == 5
        assert deletes(queries.captured_queries) == 3
        assert not AuditEvent.objects.exists()

    def test_only_the_queryset_is_deleted(self):
        kept = AuditEventFactory(kind=AuditEvent.Kind.LOGOUT)
        AuditEventFactory.create_batch(3)
        assert delete_in_batches(AuditEvent.objects.exclude(pk=kept.pk), batch_size=2, dry_run=False) == 3
        assert list(AuditEvent.objects.all()) == [kept]

    def test_a_dry_run_counts_and_removes_nothing(self):
        AuditEventFactory.create_batch(3)
        with CaptureQueriesContext(connection) as queries:
            assert delete_in_batches(AuditEvent.objects.all(), batch_size=2, dry_run=True) == 3
        assert deletes(queries.captured_queries) == 0
        assert AuditEvent.objects.count() == 3

    def test_cascaded_rows_are_not_counted(self):
        notification = NotificationFactory()
        NotificationDeliveryFactory(notification=notification, state=DeliveryState.DELIVERED)
        assert delete_in_batches(Notification.objects.all(), batch_size=10, dry_run=False) == 1
        assert not NotificationDelivery.objects.exists()

    def test_files_go_from_storage_and_the_rows_stay_cleared(self):
        jobs = ImportJobFactory.create_batch(5)
        names = [job.file.name for job in jobs]
        storage = jobs[0].file.storage
        assert all(storage.exists(name) for name in names)
        with CaptureQueriesContext(connection) as queries:
            assert delete_files_in_batches(ImportJob.objects.all(), batch_size=2, dry_run=False) == 5
        assert updates(queries.captured_queries) == 3
        assert not any(storage.exists(name) for name in names)
        assert list(ImportJob.objects.values_list("file", flat=True)) == [""] * 5
        # Cleared rows are not found again.
        assert delete_files_in_batches(ImportJob.objects.all(), batch_size=2, dry_run=False) == 0

    def test_a_file_dry_run_keeps_every_file(self):
        job = ImportJobFactory()
        assert delete_files_in_batches(ImportJob.objects.all(), batch_size=2, dry_run=True) == 1
        assert job.file.storage.exists(job.file.name)
        job.refresh_from_db()
        assert job.file

    def test_a_batch_size_below_one_is_refused(self):
        AuditEventFactory()
        with pytest.raises(ValueError, match="batch_size must be at least 1"):
            delete_in_batches(AuditEvent.objects.all(), batch_size=0, dry_run=False)


@pytest.fixture
def one_of_each():
    """One row (or file) past its age for every policy, and one that is not."""
    old = timezone.now() - LONG_AGO
    UserSessionFactory(revoked_at=old)
    UserSessionFactory()
    NotificationFactory(read_at=old)
    NotificationFactory(read_at=None)
    NotificationDeliveryFactory(state=DeliveryState.DELIVERED, updated_at=old)
    NotificationDeliveryFactory(state=DeliveryState.PENDING, updated_at=old)
    WebhookDeliveryFactory(state="failed", updated_at=old)
    WebhookDeliveryFactory(state="pending", updated_at=old)
    ImportJobFactory(state=ImportState.SUCCEEDED, finished_at=old)
    ImportJobFactory()
    ReportExportFactory(state=ExportState.SUCCEEDED, finished_at=old, file="reports/exports/x/old.csv")
    ReportExportFactory()
    DataExportFactory(built=True, expires_at=old)
    DataExportFactory(built=True)
    AccessTokenFactory(expires=old)
    AccessTokenFactory()
    AuditEventFactory(created_at=old)
    AuditEventFactory()
    OrganizationAuditRecordFactory(occurred_at=old)
    OrganizationAuditRecordFactory()
    IdempotencyKeyFactory(created_at=old)
    IdempotencyKeyFactory()
    TaskFactory(deleted_at=old)
    TaskFactory()
    OrganizationFactory(deleted_at=old)
    OrganizationFactory()


def counts() -> dict[str, int]:
    return {
        "sessions": UserSession.objects.count(),
        "notifications": Notification.objects.count(),
        "deliveries": NotificationDelivery.objects.count(),
        "webhook_deliveries": WebhookDelivery.objects.count(),
        "import_files": ImportJob.objects.exclude(file="").count(),
        "report_files": ReportExport.objects.exclude(file="").count(),
        "data_exports": DataExport.objects.count(),
        "oauth_tokens": AccessToken.objects.count(),
        "audit": AuditEvent.objects.count(),
        "organization_audit": OrganizationAuditRecord.objects.count(),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "trash": Task.all_objects.count(),
        "deleted_organizations": Organization.all_objects.count(),
    }


class TestCommand:
    def test_prints_one_line_per_policy_with_what_it_removed(self, one_of_each):
        before = counts()
        out = StringIO()
        call_command("purge", batch_size=1, stdout=out)
        lines = out.getvalue().splitlines()
        assert [line.split(":")[0] for line in lines] == POLICY_NAMES
        assert lines[0] == (
            "sessions: 1 sessions removed: sessions that ended (expired or revoked) more than 30 days ago "
            "(SESSION_RETENTION_DAYS)"
        )
        assert lines[1].startswith("read_notifications: 1 notifications removed: ")
        assert lines[2].startswith("deliveries: 1 deliveries removed: ")
        assert lines[3].startswith("webhook_deliveries: 1 deliveries removed: ")
        assert lines[4].startswith("import_files: 1 files removed: ")
        assert lines[5].startswith("report_files: 1 files removed: ")
        assert lines[6].startswith("data_exports: 1 exports removed: ")
        assert lines[7].startswith("oauth_tokens: 1 codes and tokens removed: ")
        assert lines[8] == "audit: 1 events removed: security audit events older than 400 days (RETENTION_AUDIT_DAYS)"
        assert lines[9].startswith("organization_audit: 1 records removed: ")
        assert lines[10].startswith("idempotency_keys: 1 keys removed: ")
        assert lines[11].startswith("trash: 1 tasks and comments removed: ")
        assert lines[12].startswith("deleted_organizations: 1 organizations removed: ")
        after = counts()
        # The old notification's own delivery is not among them: it has none.
        assert {name: before[name] - after[name] for name in before} == dict.fromkeys(before, 1)

    def test_a_dry_run_removes_nothing_and_says_what_would_go(self, one_of_each):
        before = counts()
        out = StringIO()
        call_command("purge", dry_run=True, stdout=out)
        assert counts() == before
        assert "sessions: 1 sessions would be removed: " in out.getvalue()
        assert "report_files: 1 files would be removed: " in out.getvalue()

    def test_only_runs_the_named_policies(self, one_of_each):
        before = counts()
        out = StringIO()
        call_command("purge", "--only", "audit", "sessions", stdout=out)
        assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["sessions", "audit"]
        after = counts()
        assert {name for name in before if before[name] != after[name]} == {"sessions", "audit"}

    def test_list_names_every_policy_and_removes_nothing(self, one_of_each):
        before = counts()
        out = StringIO()
        call_command("purge", "--list", stdout=out)
        assert [line.split(":")[0] for line in out.getvalue().splitlines()] == POLICY_NAMES
        assert counts() == before

    def test_an_unknown_policy_or_a_bad_batch_size_is_an_error(self):
        with pytest.raises(CommandError, match="Unknown retention policy: shredder"):
            call_command("purge", "--only", "shredder")
        with pytest.raises(CommandError):
            call_command("purge", "--batch-size", "0")

    def test_a_failing_policy_is_reported_and_fails_the_command(self, settings, one_of_each):
        settings.RETENTION_POLICIES = [
            {**entry, "purge": "tests.config.test_retention.broken_purge"} if entry["name"] == "sessions" else entry
            for entry in settings.RETENTION_POLICIES
        ]
        out = StringIO()
        with pytest.raises(CommandError, match="Retention failed for: sessions"):
            call_command("purge", stdout=out)
        assert "sessions: failed: RuntimeError: storage unreachable" in out.getvalue()
        assert "audit: 1 events removed" in out.getvalue()


class TestBeat:
    def test_beat_runs_the_purge_hourly(self, settings):
        entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "config.tasks.purge"]
        assert [entry["schedule"] for entry in entries] == [60 * 60]

    def test_the_old_cleanup_tasks_are_gone_from_the_schedule(self, settings):
        scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert not scheduled & {"sessions_app.tasks.cleanup_sessions", "privacy.tasks.cleanup_data_exports"}

    def test_the_task_runs_every_policy(self, one_of_each):
        assert tasks.purge.delay().get() == dict.fromkeys(POLICY_NAMES, 1)
        assert tasks.purge.delay().get() == dict.fromkeys(POLICY_NAMES, 0)
