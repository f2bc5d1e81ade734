from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.services import user_ensure
from organizations import selectors as organization_selectors
from organizations import services as organization_services
from organizations.models import Role
from tasks_app import selectors as task_selectors
from tasks_app import services as task_services
from tasks_app.models import Priority, Status

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
    help = "Create demo users, a demo organization with one user of each role, and a few tasks. Idempotent."

    def handle(self, *args, **options):
        # Commit first, so that the notifications the demo tasks cause go out before the logins
        # are printed, and the logins stay the last thing on screen.
        organization = self.ensure_data()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Sign in with any of these (password: {DEMO_PASSWORD}):")
        )
        roles = dict(DEMO_ROLES)
        for email, username, full_name, _ in DEMO_USERS:
            role = roles[email].label if email in roles else "superuser"
            self.stdout.write(f"  {email:<28} @{username:<12} {full_name:<16} {role}")
        self.stdout.write(f"Organization {organization.name!r} (slug {organization.slug}, id {organization.pk}).")

    @transaction.atomic
    def ensure_data(self):
        users = {}
        for email, username, full_name, flags in DEMO_USERS:
            users[email], _ = user_ensure(
                email=email, username=username, password=DEMO_PASSWORD, full_name=full_name, **flags
            )
        organization = self.ensure_organization(users)
        self.ensure_tasks(organization, users)
        return organization

    def ensure_tasks(self, organization, users):
        """A handful of tasks in every state, with assignees, mentions and comments; once."""
        if task_selectors.task_list().filter(organization=organization).exists():
            return
        owner, admin = users["owner@demo.example"], users["admin-user@demo.example"]
        member = users["member@demo.example"]
        today = timezone.localdate()
        specs = [
            (
                "Draft the Q3 roadmap",
                "Outline themes; @adam please add the infra items.",
                Status.IN_PROGRESS,
                Priority.HIGH,
                member,
                today + timedelta(days=5),
            ),
            ("Fix login page typo", "", Status.DONE, Priority.LOW, member, None),
            (
                "Renew the TLS certificate",
                "Expires soon. @maria can you take it?",
                Status.TODO,
                Priority.URGENT,
                admin,
                today - timedelta(days=1),
            ),
            (
                "Interview candidates",
                "Three on Thursday.",
                Status.TODO,
                Priority.MEDIUM,
                owner,
                today + timedelta(days=2),
            ),
            (
                "Write onboarding guide",
                "For new members; cc @victor for review.",
                Status.IN_PROGRESS,
                Priority.MEDIUM,
                member,
                today + timedelta(days=14),
            ),
            ("Clean up old branches", "", Status.TODO, Priority.LOW, None, None),
        ]
        for title, description, status, priority, assignee, due in specs:
            task = task_services.task_create(
                organization=organization,
                created_by=owner,
                title=title,
                description=description,
                status=status,
                priority=priority,
                assignee=assignee,
                due_date=due,
            )
            if assignee is not None and assignee != owner:
                task_services.comment_create(task=task, author=assignee, body=f"On it, @{owner.username}.")

    def ensure_organization(self, users):
        owner = users[DEMO_ROLES[0][0]]
        organization = organization_selectors.organization_get_by_slug(slug=DEMO_ORGANIZATION_SLUG)
        if organization is None:
            organization = organization_services.organization_create(
                name=DEMO_ORGANIZATION_NAME, slug=DEMO_ORGANIZATION_SLUG, created_by=owner
            )
        for email, role in DEMO_ROLES:
            membership = organization_selectors.membership_get(user=users[email], organization_id=organization.pk)
            if membership is None:
                organization_services.membership_add(organization=organization, email=email, role=role, actor=None)
            elif membership.role != role:
                organization_services.membership_change_role(membership=membership, role=role, actor=None)
        return organization
