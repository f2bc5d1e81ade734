"""Reports: the summary (JSON or CSV), exports built by a worker and their download, report settings.

Scoping and the 404 for other organizations come from ``organizations.viewsets``; every member may read
reports and request exports (an export is a read of figures the member sees anyway); admins
change the settings.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.conditional import lock_row
from config.errors import Conflict, Gone
from config.negotiation import FormatParameterNegotiation
from config.schema import ErrorEnvelopeSerializer
from config.signed_links import QUERY_PARAMETER, signed_link_user_id
from config.views import STORED_FILE_REDIRECT, PublicAPIView, stored_file_attachment
from organizations.models import Organization
from organizations.permissions import IsOrgAdminOrReadOnly, IsOrgMember
from organizations.selectors import organization_access_get
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedMixin, OrganizationScopedViewSet
from reports import rendering, selectors, services
from reports.models import ExportState, ReportExport
from reports.ranges import ReportRange, report_range
from reports.serializers import (
    SIGNED_DOWNLOAD_PURPOSE,
    ReportExportCreateSerializer,
    ReportExportSerializer,
    ReportQuerySerializer,
    ReportSerializer,
    ReportSettingsSerializer,
    ReportSettingsUpdateSerializer,
)

EXPORT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Export id.")
RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (UTC), default: the Monday 11 weeks before `to`'s week."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (UTC); default: today."),
]
RANGE_ERRORS = (
    "Bad ranges answer 400 naming the field: `invalid` (not a date), `invalid_range` (`from` after `to`), "
    "`range_too_long` (more than `REPORT_MAX_DAYS` days)."
)


DOWNLOAD_RESPONSES = {
    (200, "text/html"): OpenApiResponse(OpenApiTypes.BINARY, description="The HTML report."),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV report."),
    302: STORED_FILE_REDIRECT,
}
DOWNLOAD_ERRORS = (
    "409 `export_not_ready` while it is not built; 410 `export_expired` once its file was deleted "
    "(`RETENTION_REPORT_FILES_DAYS` after it was built)."
)


def export_file_response(export: ReportExport) -> HttpResponse:
    """A built export's file as an attachment, whichever credential reached it (a bearer token or a signed link)."""
    if export.state == ExportState.EXPIRED:
        raise Gone(
            "This export's file was deleted after its retention period; request a new export.",
            code="export_expired",
        )
    if not export.is_ready:
        raise Conflict("This export is not built yet; poll its state.", code="export_not_ready")
    response = stored_file_attachment(
        export.file,
        filename=export.filename,
        content_type=rendering.CONTENT_TYPES[export.format],
        missing="The export's file is gone; request a new export.",
    )
    # The HTML report is served as a download, never rendered in our origin; belt and braces:
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response


def _range_from(serializer) -> ReportRange:
    data = serializer.validated_data
    return report_range(date_from=data.get("from"), date_to=data.get("to"))


@extend_schema(tags=["reports"], parameters=[ORGANIZATION_ID_PARAMETER])
class ReportSummaryView(OrganizationScopedMixin, generics.GenericAPIView):
    permission_classes = [IsOrgMember]
    required_scopes = {"GET": "reports:read"}
    content_negotiation_class = FormatParameterNegotiation
    serializer_class = ReportSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="An organization's report: totals, breakdowns, weekly series and cycle time (members)",
        description=(
            "Totals and the breakdowns by status, priority and assignee count every task created up to `to`, "
            "in its current status. Overdue: not done and due before `as_of`, the earlier of `to` and today. "
            "`weeks` lists every ISO week the range touches (zeros included): tasks created, and tasks completed, "
            "within the range. Cycle time: median and 90th percentile of `completed_at - created_at`, in hours, "
            "over the tasks completed within the range. With `?format=csv`, the same figures as CSV sections "
            "(formula cells neutralised). " + RANGE_ERRORS
        ),
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="Default `json`."),
        ],
        responses={
            (200, "application/json"): ReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The same figures as CSV sections."),
        },
    )
    def get(self, request, organization_id):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = selectors.report_summary(organization=self.organization, report_range=_range_from(query))
        if query.validated_data["format"] == "csv":
            response = HttpResponse(rendering.report_csv(report), content_type=rendering.CONTENT_TYPES["csv"])
            period = report["range"]
            response["Content-Disposition"] = (
                f'attachment; filename="report-{self.organization.slug}-{period["from"]}-{period["to"]}.csv"'
            )
            return response
        return Response(ReportSerializer(report).data)


@extend_schema(tags=["reports"])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's report exports, newest first (members)",
        description="Every export of the organization, whoever requested it, with its state and, once built, "
        "its download links.",
        parameters=[ORGANIZATION_ID_PARAMETER],
    ),
    create=extend_schema(
        summary="Request an HTML (with charts) or CSV report, built by a worker (members)",
        description="Answers 202 with the export; poll `GET /reports/exports/{id}` until `state` is `succeeded` "
        "(then `download_url` is set) or `failed`. " + RANGE_ERRORS,
        parameters=[ORGANIZATION_ID_PARAMETER],
        request=ReportExportCreateSerializer,
        responses={202: ReportExportSerializer},
    ),
    retrieve=extend_schema(
        summary="An export's state and, once built, its download URL (members)",
        description="Once `succeeded`: `download_url`, a signed link that works without a bearer header (an "
        "`<a href>`) until `download_url_expires_at` (`SIGNED_LINK_MAX_AGE_SECONDS`, minutes; read the export "
        "again for a fresh one), and `api_download_url`, which needs the same sign-in.",
        parameters=[EXPORT_ID],
    ),
    download=extend_schema(
        summary="Download a built export (members of its organization)",
        description="Answers the file as an attachment, to a caller signed in as a member (with the shared bucket, "
        "a 302 to a short-lived link of the bucket that answers it). " + DOWNLOAD_ERRORS,
        parameters=[EXPORT_ID],
        responses=DOWNLOAD_RESPONSES,
    ),
)
class ReportExportViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    """Under ``reports/<organization_id>/exports`` scoped to that organization; ``reports/exports/<pk>``
    to the caller's organizations (another organization's export is a 404)."""

    rate_limit_class = {"create": "export", "download": "export"}
    serializer_class = ReportExportSerializer
    permission_classes = [IsOrgMember]
    # Requesting an export reads the report (into a file): the same scope as reading it.
    required_scopes = {"GET": "reports:read", "POST": "reports:read"}
    content_negotiation_class = FormatParameterNegotiation
    filter_backends = []

    def get_queryset(self):
        return selectors.report_export_list()

    def create(self, request, organization_id):
        data = ReportExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = services.report_export_create(
            organization=self.organization,
            requested_by=request.user,
            format=data.validated_data["format"],
            report_range=_range_from(data),
        )
        # Re-read: with eager Celery the export was built when the service's transaction committed.
        export = selectors.report_export_get(export_id=export.pk)
        return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)

    def retrieve(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["get"])
    def download(self, request, pk):
        return export_file_response(self.get_object())


class ReportExportSignedDownloadView(PublicAPIView):
    """The export's file for whoever holds a signed link (``download_url``): no bearer header, so it works as a
    plain link. The link names one export and the member it was made for, who must still be able to read the
    export when the link is used."""

    @extend_schema(
        summary="Download a built export with its signed link (no sign-in)",
        description="The `download_url` of `GET /reports/exports/{id}`: works without `Authorization`, for this "
        "export only, until it expires (`SIGNED_LINK_MAX_AGE_SECONDS` after it was made): 403 `link_expired`, "
        "or `link_invalid` for a link altered or made for another export. 404 once the person it was made for "
        "is no longer a member, or the export was deleted. " + DOWNLOAD_ERRORS,
        parameters=[
            EXPORT_ID,
            OpenApiParameter(QUERY_PARAMETER, OpenApiTypes.STR, required=True, description="The link's signature."),
        ],
        responses={
            **DOWNLOAD_RESPONSES,
            403: OpenApiResponse(ErrorEnvelopeSerializer, description="`link_expired` or `link_invalid`."),
            409: OpenApiResponse(ErrorEnvelopeSerializer, description="`export_not_ready`."),
            410: OpenApiResponse(ErrorEnvelopeSerializer, description="`export_expired`."),
        },
        tags=["reports"],
    )
    def get(self, request, pk):
        user_id = signed_link_user_id(
            request.query_params.get(QUERY_PARAMETER), purpose=SIGNED_DOWNLOAD_PURPOSE, subject=pk
        )
        export = selectors.report_export_get(export_id=pk)
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if (
            export is None
            or user is None
            or not organization_access_get(user=user, organization_id=export.organization_id)
        ):
            raise NotFound("No such export.")
        return export_file_response(export)


@extend_schema(tags=["reports"], parameters=[ORGANIZATION_ID_PARAMETER])
class ReportSettingsView(OrganizationScopedMixin, generics.GenericAPIView):
    permission_classes = [IsOrgAdminOrReadOnly]
    required_scopes = {"GET": "reports:read", "PATCH": "org:admin"}
    serializer_class = ReportSettingsSerializer
    pagination_class = None
    filter_backends = []

    def lock_resource(self) -> None:
        # The settings row may not exist yet (defaults): their organization's row stands for them.
        lock_row(Organization, self.organization.pk)

    @extend_schema(
        summary="The organization's report settings (members)",
        description="Whether the weekly report email is on, and which week it was last sent for.",
    )
    def get(self, request, organization_id):
        return Response(ReportSettingsSerializer(selectors.report_settings_get(organization=self.organization)).data)

    @extend_schema(
        summary="Turn the weekly report email to owners and admins on or off (admins)",
        description="Sent on Mondays (`REPORT_WEEKLY_EMAIL_HOUR`, UTC) for the week just ended, once per week.",
        request=ReportSettingsUpdateSerializer,
        responses={200: ReportSettingsSerializer},
    )
    def patch(self, request, organization_id):
        data = ReportSettingsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report_settings = services.report_settings_update(
            organization=self.organization, actor=request.user, **data.validated_data
        )
        return Response(ReportSettingsSerializer(report_settings).data)
