from drf_spectacular.utils import extend_schema
from rest_framework import generics

from audit import selectors
from audit.serializers import SecurityEventSerializer


@extend_schema(
    tags=["users"],
    summary="The security events of the caller's account: sign-ins, failed attempts, sign-outs, password "
    "changes and resets, sessions ended (newest first)",
    description="What the person reviews when something looks wrong: each event's kind, when, from which address "
    "and device, and details. Kept `RETENTION_AUDIT_DAYS`.",
)
class SecurityEventListView(generics.ListAPIView):
    serializer_class = SecurityEventSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.audit_event_list(user=self.request.user)
