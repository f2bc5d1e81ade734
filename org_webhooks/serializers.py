from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.serializers import BoundedListField, StrictCharField, StrictModelSerializer, StrictURLField
from org_webhooks import events
from org_webhooks.models import DeliveryState, EndpointKind, WebhookDelivery, WebhookEndpoint

EVENT_CHOICES = [events.ALL, *events.EVENT_TYPES]


class WebhookEndpointSerializer(StrictModelSerializer):
    """An endpoint as admins see it: never its secret (shown once, at creation and rotation)."""

    events = BoundedListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), read_only=True)
    created_by = UserReferenceSerializer(read_only=True, allow_null=True)
    previous_secret_expires_at = serializers.SerializerMethodField(
        help_text="Until when the previous secret still signs (a second signature) after a rotation; else null."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organization",
            "kind",
            "url",
            "events",
            "description",
            "active",
            "paused_reason",
            "paused_at",
            "failing_since",
            "last_success_at",
            "previous_secret_expires_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_previous_secret_expires_at(self, endpoint) -> str | None:
        from django.utils import timezone

        expires = endpoint.previous_secret_expires_at
        return expires.isoformat().replace("+00:00", "Z") if expires and expires > timezone.now() else None


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = StrictCharField(
        read_only=True, help_text="The signing secret (`whsec_...`): shown this once, keep it on the receiver."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = StrictURLField(max_length=500)
    kind = serializers.ChoiceField(choices=EndpointKind.choices, default=EndpointKind.WEBHOOK)
    events = BoundedListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, max_length=len(EVENT_CHOICES)
    )
    description = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = StrictURLField(max_length=500, required=False)
    kind = serializers.ChoiceField(choices=EndpointKind.choices, required=False)
    events = BoundedListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        required=False,
    )
    description = StrictCharField(max_length=500, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="false pauses the endpoint; true resumes it.")


class WebhookDeliverySerializer(StrictModelSerializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, read_only=True)
    webhook_id = serializers.UUIDField(source="event_id", read_only=True, help_text="The `webhook-id` header sent.")
    error = StrictCharField(source="last_error", read_only=True)
    response_body = StrictCharField(read_only=True, help_text="The first kilobyte of the last answer.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "state",
            "attempts",
            "response_status",
            "latency_ms",
            "response_body",
            "error",
            "redelivery_of",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields
