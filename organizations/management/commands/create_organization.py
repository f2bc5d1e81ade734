from django.core.management.base import BaseCommand, CommandError

from accounts.models import User, normalize_email
from config.errors import command_errors
from organizations import services


class Command(BaseCommand):
    help = "Create an organization owned by an existing user."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Display name.")
        parser.add_argument("--slug", help="Unique slug; derived from the name when omitted.")
        parser.add_argument("--owner-email", required=True, help="Email of the existing user who becomes its owner.")

    def handle(self, *args, name, slug, owner_email, **options):
        if not name.strip():
            raise CommandError("--name must not be blank.")
        owner = User.objects.filter(email=normalize_email(owner_email)).first()
        if owner is None:
            raise CommandError(f"No user has the email {owner_email!r}; create the user first.")
        with command_errors():
            organization = services.organization_create(name=name, slug=slug, created_by=owner)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organization {organization.name!r} (slug {organization.slug}, id {organization.pk}) "
                f"owned by {owner.email}."
            )
        )
