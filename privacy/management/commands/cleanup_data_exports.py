from django.core.management.base import BaseCommand

from privacy.services import data_exports_cleanup


class Command(BaseCommand):
    help = "Delete the personal data exports past their expiry (DATA_EXPORT_EXPIRY_HOURS), as beat does hourly."

    def handle(self, *args, **options):
        deleted = data_exports_cleanup()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} expired data exports."))
