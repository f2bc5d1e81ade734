import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.utils import OperationalError

from config.backoff import backoff_step


class Command(BaseCommand):
    help = (
        "Wait until the database accepts connections (for container start-up ordering): retries after 2, 4, 8 s..."
        " (capped at --max-interval), and gives up after --timeout seconds in all."
    )

    # Replaced by the tests, which never sleep.
    sleep = staticmethod(time.sleep)
    clock = staticmethod(time.monotonic)

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="Seconds to wait in all before failing.")
        parser.add_argument("--interval", type=float, default=2, help="Seconds before the first retry; doubles.")
        parser.add_argument("--max-interval", type=float, default=30, help="The longest wait between two attempts.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, timeout, interval, max_interval, database, **options):
        deadline = self.clock() + timeout
        connection = connections[database]
        attempts = 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
                break
            except OperationalError as exc:
                connection.close()
                left = deadline - self.clock()
                if left <= 0:
                    raise CommandError(
                        f"Database '{database}' unavailable after {timeout:g}s ({attempts} attempts): {exc}"
                    ) from exc
                # The last wait is cut to the deadline, so one more attempt is made right at the limit.
                wait = min(backoff_step(attempts=attempts, base=interval, maximum=max_interval), left)
                self.stdout.write(f"Database unavailable, retrying in {wait:g}s...")
                self.sleep(wait)
        self.stdout.write(self.style.SUCCESS(f"Database '{database}' is available."))
