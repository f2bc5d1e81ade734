from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import user_ensure
from organizations import selectors as organization_selectors
from organizations import services as organization_services
from organizations.models import Role

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
DEMO_ORGANIZATION_NAME = "Demo Org"
DEMO_ORGANIZATION_SLUG = "demo"
# The owner comes first, so that the organization always has an owner while roles are restored.
DEMO_ROLES = [
    ("owner@demo.example", Role.OWNER),
    ("admin-user@demo.example", Role.ADMIN),
    ("member@demo.example", Role.MEMBER),
    ("viewer@demo.example", Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create demo users and a demo organization with one user of each role (and, as apps add them, tasks)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for email, username, full_name, flags in DEMO_USERS:
            users[email], _ = user_ensure(
                email=email, username=username, password=DEMO_PASSWORD, full_name=full_name, **flags
            )
        organization = self.ensure_organization(users)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Sign in with any of these (password: {DEMO_PASSWORD}):")
        )
        roles = dict(DEMO_ROLES)
        for email, username, full_name, _ in DEMO_USERS:
            role = roles[email].label if email in roles else "superuser"
            self.stdout.write(f"  {email:<28} @{username:<12} {full_name:<16} {role}")
        self.stdout.write(f"Organization {organization.name!r} (slug {organization.slug}, id {organization.pk}).")

    def ensure_organization(self, users):
        owner = users[DEMO_ROLES[0][0]]
        organization = organization_selectors.organization_get_by_slug(DEMO_ORGANIZATION_SLUG)
        if organization is None:
            organization = organization_services.organization_create(
                name=DEMO_ORGANIZATION_NAME, slug=DEMO_ORGANIZATION_SLUG, created_by=owner
            )
        for email, role in DEMO_ROLES:
            membership = organization_selectors.membership_for(users[email], organization.pk)
            if membership is None:
                organization_services.membership_add(organization=organization, email=email, role=role, actor=None)
            elif membership.role != role:
                organization_services.membership_change_role(membership=membership, role=role, actor=None)
        return organization
