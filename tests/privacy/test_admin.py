"""Staff see pending deletions and can cancel or carry one out; they watch data exports and download them."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import AccountDeletionFactory, DataExportFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:privacy_accountdeletion_changelist"


def test_pending_deletions_are_listed_and_only_them(staff):
    pending = AccountDeletionFactory()
    bystander = UserFactory()
    response = staff.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert pending.email in html
    assert bystander.email not in html
    assert staff.get(reverse("admin:privacy_accountdeletion_change", args=[pending.pk])).status_code == 200


def test_cancelling_reactivates_the_account_and_stops_the_anonymisation(staff):
    pending = AccountDeletionFactory()
    response = staff.post(reverse(CHANGELIST), {"action": "cancel_deletion", "_selected_action": [pending.pk]})
    assert response.status_code == 302
    user = User.objects.get(pk=pending.pk)
    assert user.is_active
    assert user.deletion_scheduled_at is None


def test_anonymising_now_is_audited_with_the_staff_member(staff):
    pending = AccountDeletionFactory()
    staff.post(reverse(CHANGELIST), {"action": "anonymise_now", "_selected_action": [pending.pk]})
    user = User.objects.get(pk=pending.pk)
    assert user.anonymised_at is not None
    assert user.email.endswith("@invalid")
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.ACCOUNT_ANONYMISED)
    assert event.actor == staff.user


def test_data_exports_are_listed_and_downloadable_by_staff_only(staff):
    export = DataExportFactory(built=True)
    html = staff.get(reverse("admin:privacy_dataexport_changelist")).content.decode()
    download = reverse("admin:privacy_dataexport_download", args=[export.pk])
    assert download in html
    assert staff.get(reverse("admin:privacy_dataexport_change", args=[export.pk])).status_code == 200
    response = staff.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b'{"format"')
    assert Client().get(download).status_code == 302  # to the admin login
