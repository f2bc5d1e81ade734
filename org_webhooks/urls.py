from django.urls import path

from org_webhooks.views import WebhookEndpointViewSet

endpoints = WebhookEndpointViewSet.as_view({"get": "list", "post": "create"})
endpoint = WebhookEndpointViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
rotate = WebhookEndpointViewSet.as_view({"post": "rotate_secret"})
ping = WebhookEndpointViewSet.as_view({"post": "ping"})
deliveries = WebhookEndpointViewSet.as_view({"get": "deliveries"})
redeliver = WebhookEndpointViewSet.as_view({"post": "redeliver"})

PREFIX = "organizations/<uuid:organization_id>/webhooks"
urlpatterns = [
    path(PREFIX, endpoints, name="webhook-list"),
    path(f"{PREFIX}/<uuid:webhook_id>", endpoint, name="webhook-detail"),
    path(f"{PREFIX}/<uuid:webhook_id>/rotate-secret", rotate, name="webhook-rotate-secret"),
    path(f"{PREFIX}/<uuid:webhook_id>/ping", ping, name="webhook-ping"),
    path(f"{PREFIX}/<uuid:webhook_id>/deliveries", deliveries, name="webhook-deliveries"),
    path(
        f"{PREFIX}/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/redeliver",
        redeliver,
        name="webhook-delivery-redeliver",
    ),
]
