import uuid

import factory

from org_webhooks import signing
from org_webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories.organizations import OrganizationFactory


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint row; ``org_webhooks.services.endpoint_create`` when its creation should be recorded."""

    class Meta:
        model = WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    events = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(signing.secret_make)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "task.created"
    body = '{"type":"task.created"}'
