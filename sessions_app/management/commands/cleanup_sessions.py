from django.conf import settings
from django.core.management.base import BaseCommand

from sessions_app.services import session_cleanup


class Command(BaseCommand):
    help = "Delete sessions that expired or were revoked more than --days ago (default SESSION_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, days, batch_size, **options):
        days = settings.SESSION_RETENTION_DAYS if days is None else days
        deleted = session_cleanup(older_than_days=days, batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} sessions that ended more than {days} days ago."))
