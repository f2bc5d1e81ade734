import factory
from django.utils import timezone

from idempotency.models import IdempotencyKey
from tests.factories.accounts import UserFactory


class IdempotencyKeyFactory(factory.django.DjangoModelFactory):
    """A key whose request answered 201 (``completed_at`` set); ``completed_at=None`` for one still in flight."""

    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory(UserFactory)
    key = factory.Faker("uuid4")
    fingerprint = "0" * 64
    request_line = "POST /api/v1/tasks"
    completed_at = factory.LazyFunction(timezone.now)
    status_code = 201
    response_body = b'{"id": "x"}'
    response_headers = factory.LazyFunction(lambda: {"Content-Type": "application/json"})
