from django.db.models import QuerySet

from org_webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Endpoints (the view scopes them to the URL's organization)."""
    return WebhookEndpoint.objects.select_related("created_by").order_by("created_at", "id")


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery history, newest first."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).defer("body").order_by("-created_at", "-id")
