import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Wait until the database accepts connections (for container start-up ordering)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="Seconds to wait before failing.")
        parser.add_argument("--interval", type=float, default=1, help="Seconds between attempts.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, timeout, interval, database, **options):
        deadline = time.monotonic() + timeout
        connection = connections[database]
        while True:
            try:
                connection.ensure_connection()
                break
            except OperationalError as exc:
                connection.close()
                if time.monotonic() >= deadline:
                    raise CommandError(f"Database '{database}' unavailable after {timeout:g}s: {exc}") from exc
                self.stdout.write(f"Database unavailable, retrying in {interval:g}s...")
                time.sleep(interval)
        self.stdout.write(self.style.SUCCESS(f"Database '{database}' is available."))
