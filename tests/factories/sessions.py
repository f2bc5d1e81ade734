import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from audit.models import AuditEvent
from sessions_app.models import UserSession
from tests.factories.accounts import UserFactory


class UserSessionFactory(factory.django.DjangoModelFactory):
    """A session row with no tokens: ``sessions_app.services.session_create`` signs a device in for real."""

    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    device_name = "Chrome on macOS"
    ip = "203.0.113.7"
    refresh_jti = factory.LazyFunction(lambda: uuid.uuid4().hex)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    kind = AuditEvent.Kind.LOGIN_SUCCEEDED
    user = factory.SubFactory(UserFactory)
    ip = "203.0.113.7"
