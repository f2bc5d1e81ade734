import uuid

import factory
from django.utils import timezone

from orgaudit.models import OrganizationAuditRecord
from tests.factories.accounts import UserFactory
from tests.factories.organizations import OrganizationFactory


class OrganizationAuditRecordFactory(factory.django.DjangoModelFactory):
    """An audit record as a person's session writes one (``actor_kind`` person); for the API's filters and pages."""

    class Meta:
        model = OrganizationAuditRecord

    organization = factory.SubFactory(OrganizationFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    action = "task.updated"
    actor = factory.SubFactory(UserFactory)
    actor_kind = "person"
    ip = "198.51.100.1"
    request_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    target_type = "task"
    target_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    target_label = factory.Sequence(lambda n: f"Task {n}")
    before = factory.LazyFunction(lambda: {"title": "Before"})
    after = factory.LazyFunction(lambda: {"title": "After"})
    change_id = factory.LazyFunction(uuid.uuid4)
