from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import user_ensure

# Published on purpose: demo accounts exist only on a developer's embedded default.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
DEMO_USERS = [
    # email, username, full name, flags
    ("admin@demo.example", "demo_admin", "Demo Superuser", {"is_staff": True, "is_superuser": True}),
    ("owner@demo.example", "olivia", "Olivia Owner", {}),
    ("admin-user@demo.example", "adam", "Adam Admin", {}),
    ("member@demo.example", "maria", "Maria Member", {}),
    ("viewer@demo.example", "victor", "Victor Viewer", {}),
]


class Command(BaseCommand):
    help = "Create demo users (and, as the apps provide them, an organization with tasks). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, username, full_name, flags in DEMO_USERS:
            user_ensure(email=email, username=username, password=DEMO_PASSWORD, full_name=full_name, **flags)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Sign in with any of these (password: {DEMO_PASSWORD}):")
        )
        for email, username, full_name, _ in DEMO_USERS:
            self.stdout.write(f"  {email:<28} @{username:<12} {full_name}")
