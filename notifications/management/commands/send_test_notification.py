import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notifications.models import DeliveryState, NotificationDelivery, NotificationKind
from notifications.services import notification_create

UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING)


class Command(BaseCommand):
    help = (
        "Send a test notification to a user through every channel they have on (in-app, email, "
        "webhook), to check the email and webhook settings. Prints each delivery's outcome when "
        "Celery runs in-process, or after --wait seconds with a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the user's email address")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="with a worker running, wait up to this long for the deliveries to finish",
        )

    def handle(self, *args, email, wait, **options):
        # Emails are stored stripped and lower-cased (accounts.models.normalize_email).
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated; notifications are not sent to inactive users.")
        with transaction.atomic():
            (notification,) = notification_create(
                recipients=[user],
                kind=NotificationKind.TEST,
                title="Test notification",
                body="This is a test of your Team Workspace notification settings.",
                url="/settings",
            )
        self.stdout.write(f"In-app notification {notification.id} created for {user.email}.")
        deliveries = list(NotificationDelivery.objects.filter(notification=notification).order_by("channel"))
        if not deliveries:
            self.stdout.write("No email or webhook channel is on for this user: in-app only.")
            return
        for delivery in deliveries:
            target = user.email if delivery.channel == "email" else user.webhook_url
            self.stdout.write(f"Queued {delivery.channel} delivery {delivery.id} to {target}.")

        deliveries = self.wait_for(notification, wait)
        if not settings.CELERY_TASK_ALWAYS_EAGER and not wait:
            self.stdout.write("A worker will deliver them; pass --wait SECONDS to see the outcome here.")
            return
        self.report(deliveries)

    def wait_for(self, notification, seconds: float) -> list:
        """The notification's deliveries once none is unfinished, or as they are after ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            deliveries = list(NotificationDelivery.objects.filter(notification=notification).order_by("channel"))
            if time.monotonic() >= deadline or not any(d.state in UNFINISHED for d in deliveries):
                return deliveries
            time.sleep(0.5)

    def report(self, deliveries) -> None:
        failed = False
        for delivery in deliveries:
            line = f"{delivery.channel}: {delivery.state} after {delivery.attempts} attempt(s)"
            if delivery.state == DeliveryState.DELIVERED:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed = failed or delivery.state == DeliveryState.FAILED
                reason = f": {delivery.last_error}" if delivery.last_error else ""
                self.stdout.write(self.style.WARNING(line + reason))
        if failed:
            raise CommandError("Some deliveries failed; see above.")
