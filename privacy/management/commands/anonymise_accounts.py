from django.core.management.base import BaseCommand

from privacy import selectors, services


class Command(BaseCommand):
    help = (
        "Anonymise the deleted accounts whose grace period (ACCOUNT_DELETION_GRACE_DAYS) is over, as beat does "
        "hourly. --dry-run lists them only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the accounts due; change nothing.")
        parser.add_argument("--limit", type=int, default=500, help="At most this many accounts (default 500).")

    def handle(self, *args, dry_run, limit, **options):
        if dry_run:
            due = list(selectors.accounts_due_for_anonymisation()[:limit])
            for user in due:
                self.stdout.write(f"{user.pk} (deletion scheduled for {user.deletion_scheduled_at:%Y-%m-%d %H:%M})")
            self.stdout.write(f"{len(due)} accounts due for anonymisation.")
            return
        results = services.accounts_anonymise_due(limit=limit)
        for result in results:
            if result.organizations_kept:
                self.stderr.write(
                    self.style.WARNING(
                        f"{result.user_id} was still the last owner of {', '.join(result.organizations_kept)}: "
                        "make another member owner."
                    )
                )
        self.stdout.write(self.style.SUCCESS(f"Anonymised {len(results)} accounts."))
