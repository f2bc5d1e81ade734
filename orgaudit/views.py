"""An organization's audit log (admins): the list, filtered and cursor-paginated, and the same rows as CSV."""

import json

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action

from config.csv_safety import csv_writer
from config.negotiation import FormatParameterNegotiation
from config.pagination import StandardCursorPagination
from organizations.changes import Action
from organizations.permissions import IsOrgAdmin
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet
from orgaudit import selectors
from orgaudit.serializers import MAX_ACTIONS, AuditLogQuerySerializer, AuditRecordSerializer

FILTER_PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.UUID, description="Only what this person did (their user id)."),
    OpenApiParameter(
        "action",
        # The allowed actions in their declared order (drf-spectacular would sort an ``enum=``), at most MAX_ACTIONS.
        {"type": "array", "items": {"type": "string", "enum": list(Action.values)}, "maxItems": MAX_ACTIONS},
        style="form",
        explode=True,
        description="One action, or several: comma-separated (`member.added,member.removed`) or repeated "
        "(`action=member.added&action=member.removed`).",
    ),
    OpenApiParameter(
        "target_type", OpenApiTypes.STR, description="What was changed: `task`, `membership`, `invitation`..."
    ),
    OpenApiParameter("target_id", OpenApiTypes.STR, description="The id of what was changed."),
    OpenApiParameter(
        "from", OpenApiTypes.STR, description="From this date (`2025-03-01`) or date-time (ISO 8601), inclusive."
    ),
    OpenApiParameter("to", OpenApiTypes.STR, description="Up to this date (the whole day) or date-time, inclusive."),
]
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The opaque cursor of a `next` or `previous` link."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Records per page (default 20, at most 100)."),
]
FILTER_ERRORS = (
    "Bad filters answer 400 naming the parameter: `invalid` (not a UUID, not a date), `invalid_choice` (an unknown "
    "action), `invalid_range` (`from` after `to`)."
)
CSV_COLUMNS = [
    "occurred_at",
    "action",
    "actor_id",
    "actor_email",
    "actor_kind",
    "credential_id",
    "credential_label",
    "ip",
    "request_id",
    "target_type",
    "target_id",
    "target_label",
    "before",
    "after",
    "change_id",
]


class AuditLogPagination(StandardCursorPagination):
    ordering = ("-occurred_at", "-id")


class _Line:
    """A file-like object whose ``write`` returns what was written: each CSV row as it is made."""

    def write(self, value):
        return value


def _csv_row(record) -> list:
    actor = record.actor
    return [
        record.occurred_at.isoformat(),
        record.action,
        str(actor.pk) if actor else "",
        actor.email if actor else "",
        record.actor_kind,
        record.credential_id,
        record.credential_label,
        record.ip or "",
        record.request_id,
        record.target_type,
        record.target_id,
        record.target_label,
        json.dumps(record.before, sort_keys=True) if record.before is not None else "",
        json.dumps(record.after, sort_keys=True) if record.after is not None else "",
        str(record.change_id),
    ]


def _csv_lines(records):
    writer = csv_writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for record in records.iterator(chunk_size=1000):
        yield writer.writerow(_csv_row(record))


@extend_schema(tags=["audit log"], parameters=[ORGANIZATION_ID_PARAMETER, *FILTER_PARAMETERS])
@extend_schema_view(
    list=extend_schema(
        summary="Who changed what in the organization, newest first (admins)",
        description="Every change to the organization, recorded in the transaction of the change: the action, "
        "the actor (a person, a personal access token, an OAuth application, staff in the admin, or the system), "
        "the IP and request id, the target, and the values before and after. Cursor-paginated: follow "
        "`pagination.next`. Records cannot be changed or deleted. " + FILTER_ERRORS,
        parameters=CURSOR_PARAMETERS,
    ),
    export=extend_schema(
        summary="The same records as CSV, every page of them (admins)",
        description="The filtered records, newest first, streamed as a CSV attachment; cells a spreadsheet would run "
        "as a formula are prefixed with `'`. `before` and `after` are JSON. " + FILTER_ERRORS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The records as CSV.")},
    ),
)
class AuditLogViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = AuditRecordSerializer
    permission_classes = [IsOrgAdmin]
    required_scopes = {"GET": "org:admin"}
    pagination_class = AuditLogPagination
    content_negotiation_class = FormatParameterNegotiation
    filter_backends = []

    # ``?action=a&action=b`` as ``?action=a,b`` (config.middleware.SingleValuedQueryMiddleware lets it repeat).
    multiple_value_parameters = ("action",)

    def get_queryset(self):
        params = self.request.query_params
        data = {name: params[name] for name in params}
        if "action" in params:
            data["action"] = ",".join(params.getlist("action"))
        query = AuditLogQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        return selectors.audit_record_list(organization=self.organization, **query.validated_data)

    @action(detail=False, methods=["get"])
    def export(self, request, organization_id):
        records = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(_csv_lines(records), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{self.organization.slug}-{stamp}.csv"'
        return response
