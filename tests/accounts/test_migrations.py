"""Accounts made before email verification existed: which ones migration 0008 counts as verified.

The suite runs without migrations (``--no-migrations``), so the migration's function is called on the
current models, which have the fields it reads and writes.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import User
from tests.factories import InvitationFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0008_verify_existing_accounts")


def test_superusers_and_invitees_of_their_address_are_verified_and_nobody_else():
    root = UserFactory(unverified=True, is_superuser=True, is_staff=True)
    invitee, elsewhere, registered = (UserFactory(unverified=True) for _ in range(3))
    org = OrganizationFactory()
    now = timezone.now()
    InvitationFactory(organization=org, email=invitee.email.upper(), accepted_at=now, accepted_by=invitee)
    # Accepted while the account had another address: proves nothing about the current one.
    InvitationFactory(organization=org, email="old@example.com", accepted_at=now, accepted_by=elsewhere)
    earlier = now - timedelta(days=3)
    already = UserFactory(email_verified_at=earlier)

    migration.verify_existing(apps, None)

    verified = set(User.objects.filter(email_verified_at__isnull=False).values_list("pk", flat=True))
    assert verified == {root.pk, invitee.pk, already.pk}
    assert registered.pk not in verified
    already.refresh_from_db()
    assert already.email_verified_at == earlier  # a verified account keeps its time
