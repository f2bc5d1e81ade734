"""Organization webhooks through the API (admins). Each action: input serializer, one service or selector,
output serializer. Scoping and the 404 for outsiders come from ``OrganizationScopedViewSet``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from org_webhooks import selectors, services
from org_webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from organizations.permissions import IsOrgAdmin
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet

WEBHOOK_ID = OpenApiParameter("webhook_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Endpoint id.")
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Delivery id.")


def validated(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


@extend_schema(tags=["webhooks"], parameters=[ORGANIZATION_ID_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's webhook endpoints (admins)",
        description="Each endpoint's URL, kind, events, whether it is active (or paused after failures, and "
        "why); never its secret.",
    ),
    create=extend_schema(
        summary="Add a webhook endpoint or a Discord channel (admins); the answer shows its secret, this once",
        description="The URL must be https (in production) and not a private address (400 "
        "`webhook_url_not_allowed`); `events` lists what it receives (`*` for all). Keep the secret: it signs "
        "every delivery (Standard Webhooks; see docs/api/webhooks.md).",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
    ),
    retrieve=extend_schema(
        summary="One webhook endpoint (admins)",
        description="As in the list: never its secret.",
        parameters=[WEBHOOK_ID],
    ),
    partial_update=extend_schema(
        summary="Change an endpoint: URL, events, description; active=false pauses it, true resumes it (admins)",
        description="Resuming a paused endpoint sends again what waited meanwhile; the secret is rolled with "
        "`POST .../rotate-secret`, not here.",
        parameters=[WEBHOOK_ID],
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
    ),
    destroy=extend_schema(
        summary="Delete an endpoint and its delivery history (admins)",
        description="Deliveries still waiting are dropped with it.",
        parameters=[WEBHOOK_ID],
        responses={204: None},
    ),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    lookup_field = "pk"
    lookup_url_kwarg = "webhook_id"
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsOrgAdmin]
    required_scopes = {"GET": "org:admin", "POST": "org:admin", "PATCH": "org:admin", "DELETE": "org:admin"}
    # Their answers show the signing secret, once: never kept for an Idempotency-Key replay.
    idempotency_exempt = ("create", "rotate_secret")
    filter_backends = []

    def get_queryset(self):
        return selectors.endpoint_list()

    def create(self, request, **kwargs):
        data = validated(WebhookEndpointCreateSerializer, request)
        endpoint = services.endpoint_create(organization=self.organization, actor=request.user, **data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, **kwargs):
        data = validated(WebhookEndpointUpdateSerializer, request)
        endpoint = services.endpoint_update(endpoint=self.get_object(), actor=request.user, **data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, **kwargs):
        services.endpoint_delete(endpoint=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Roll the signing secret (admins): the answer shows the new one, this once",
        description="The previous secret keeps signing, as a second `v1,` signature in `webhook-signature`, "
        "for `ORG_WEBHOOK_SECRET_OVERLAP_HOURS` (24 h).",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, **kwargs):
        endpoint = services.endpoint_rotate_secret(endpoint=self.get_object(), actor=request.user)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        summary="Send a webhook.ping event to the endpoint (admins); its delivery shows in the history",
        description="A paused endpoint answers 409 `conflict`.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, **kwargs):
        delivery = services.endpoint_ping(endpoint=self.get_object(), actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The endpoint's delivery history, newest first (admins)",
        description="Each delivery's event, state, attempts, last status code and error, and when it is tried "
        "next; a failed one can be sent again with `POST .../redeliver`.",
        parameters=[WEBHOOK_ID],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, **kwargs):
        page = self.paginate_queryset(selectors.delivery_list(endpoint=self.get_object()))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery's event again, with the same webhook-id and body (admins)",
        description="A new delivery in the history; a paused endpoint answers 409 `conflict`.",
        parameters=[WEBHOOK_ID, DELIVERY_ID],
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, delivery_id=None, **kwargs):
        delivery = get_object_or_404(selectors.delivery_list(endpoint=self.get_object()), pk=delivery_id)
        again = services.delivery_redeliver(delivery=delivery, actor=request.user)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
