from django.core.management.base import BaseCommand, CommandError

from config.errors import command_errors
from organizations import selectors, services
from organizations.models import Invitation, Role


class Command(BaseCommand):
    help = (
        "Add an existing user to an organization with a role. A user whose email is not verified is "
        "invited instead (accepting the emailed invitation proves the address)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, metavar="SLUG", help="The organization's slug.")
        parser.add_argument("--email", required=True, help="Email of the existing user to add.")
        parser.add_argument("--role", required=True, choices=Role.labels, help="Role in the organization.")

    def handle(self, *args, organization, email, role, **options):
        org = selectors.organization_get_by_slug(slug=organization)
        if org is None:
            raise CommandError(f"No organization has the slug {organization!r}.")
        with command_errors():
            added = services.membership_add_or_invite(
                organization=org, email=email, role=Role.from_label(role), actor=None
            )
        if isinstance(added, Invitation):
            self.stdout.write(
                self.style.WARNING(
                    f"{added.email} is not verified: invited to {org.name!r} ({org.slug}) as {role} instead; "
                    "accepting the emailed invitation makes them a member."
                )
            )
            return
        membership = added
        self.stdout.write(self.style.SUCCESS(f"Added {membership.user.email} to {org.name!r} ({org.slug}) as {role}."))
