from django.core.management.base import BaseCommand, CommandError

from config.errors import command_errors
from organizations import selectors, services
from organizations.models import Role


class Command(BaseCommand):
    help = "Add an existing user to an organization with a role."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, metavar="SLUG", help="The organization's slug.")
        parser.add_argument("--email", required=True, help="Email of the existing user to add.")
        parser.add_argument("--role", required=True, choices=Role.labels, help="Role in the organization.")

    def handle(self, *args, organization, email, role, **options):
        org = selectors.organization_get_by_slug(slug=organization)
        if org is None:
            raise CommandError(f"No organization has the slug {organization!r}.")
        with command_errors():
            membership = services.membership_add(organization=org, email=email, role=Role.from_label(role), actor=None)
        self.stdout.write(self.style.SUCCESS(f"Added {membership.user.email} to {org.name!r} ({org.slug}) as {role}."))
