# Notification models as `accounts` holds them today; issue 11 moves them to a `notifications` app:
# only the import below changes then.
import factory

from notifications.models import DeliveryChannel, Notification, NotificationDelivery, NotificationKind
from tests.factories.accounts import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    """An in-app notification row; ``notification_create()`` when its deliveries should be created and sent."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.TEST
    title = factory.Sequence(lambda n: f"Notification {n}")


class NotificationDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationDelivery

    notification = factory.SubFactory(NotificationFactory)
    channel = DeliveryChannel.EMAIL
