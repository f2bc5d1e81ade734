import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_ensure


class Command(BaseCommand):
    help = (
        "Create the superuser named by SUPERUSER_EMAIL / SUPERUSER_PASSWORD (and optionally "
        "SUPERUSER_USERNAME) unless it exists. Idempotent; never prints the password."
    )

    def handle(self, *args, **options):
        from config.settings.base import env

        email = env.str("SUPERUSER_EMAIL", default="")
        password = env.str("SUPERUSER_PASSWORD", default="")
        if not email or not password:
            raise CommandError("Set SUPERUSER_EMAIL and SUPERUSER_PASSWORD.")
        default_username = re.sub(r"[^A-Za-z0-9_]", "_", email.split("@")[0])[:30] or "admin"
        username = env.str("SUPERUSER_USERNAME", default=default_username)
        try:
            user, created = user_ensure(
                email=email, username=username, password=password, is_staff=True, is_superuser=True, is_active=True
            )
        except ValidationError as exc:
            raise CommandError(f"Cannot create the superuser: {'; '.join(exc.messages)}") from exc
        verb = "Created" if created else "Already present:"
        self.stdout.write(self.style.SUCCESS(f"{verb} superuser {user.email}"))
