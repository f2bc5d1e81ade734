"""Accounts that existed before email verification: which addresses count as proven.

- Superusers: operators made them (``ensure_superuser``, ``createsuperuser``) and vouch for them.
- People who accepted an organization invitation sent to their current address: the link reached them.

Everyone else stays unverified: an address registered by anyone is not proof, and marking every old
account verified would keep exactly the impostor accounts this feature exists to stop. They verify
through ``POST /auth/email/resend`` (docs/identity.md); an invitation accepted verifies them too.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef
from django.utils import timezone


def verify_existing(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("organizations", "Invitation")
    now = timezone.now()
    User.objects.filter(is_superuser=True, email_verified_at=None).update(email_verified_at=now)
    accepted = Invitation.objects.filter(accepted_by=OuterRef("pk"), email__iexact=OuterRef("email"))
    User.objects.filter(Exists(accepted), email_verified_at=None).update(email_verified_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_email_verification"),
        ("organizations", "0002_invitation_email"),
    ]

    operations = [migrations.RunPython(verify_existing, migrations.RunPython.noop)]
