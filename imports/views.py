"""CSV imports through the API. Each action: input serializer, one service or selector, output serializer.

Scoping and the 404 for other organizations come from ``organizations.viewsets.OrganizationScopedViewSet``;
every endpoint needs an admin (or owner) of the job's organization (``IsOrgAdmin``).
"""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from config.csv_safety import csv_writer
from config.errors import PayloadTooLarge
from config.filters import FilterBackend
from config.negotiation import FormatParameterNegotiation
from config.pagination import StandardPagination
from imports import selectors, services
from imports.filters import ImportJobFilter
from imports.serializers import (
    ImportCreateSerializer,
    ImportJobSerializer,
    ImportRowErrorSerializer,
    ImportStatusSerializer,
)
from organizations.permissions import IsOrgAdmin
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet

# Room for the multipart envelope around the file and the other fields.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
ERROR_COLUMNS = ["line", "column", "code", "message", "value"]

JOB_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Import job id.")


def refuse_oversized_body(request) -> None:
    """413 from the declared length, before Django reads (and spools to disk) the upload."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise PayloadTooLarge(f"The file is larger than the limit of {settings.IMPORT_MAX_BYTES:,} bytes.")


@extend_schema(tags=["imports"], parameters=[ORGANIZATION_ID_PARAMETER])
@extend_schema_view(
    list=extend_schema(
        summary="The organization's import jobs, newest first (admins)",
        description="Each job's kind, mode, state, phase and counts; `?state=` and `?kind=` filter.",
    ),
    create=extend_schema(
        summary="Upload a CSV file of tasks or members to import (admins)",
        description="Multipart: `file` (UTF-8 CSV), `kind` (`tasks` or `members`), `mode` (`skip_invalid` or "
        "`all_or_nothing`) and `dry_run`. A file that cannot be read answers 400 at once (`not_csv`, `not_utf8`, "
        "`malformed_csv`, `empty_file`, `too_many_rows`, `missing_column`); else 202 with the job, which a worker "
        "runs: poll `GET /imports/{id}/status`. Jobs of one organization run one at a time, in upload order.",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={202: ImportJobSerializer},
    ),
)
class OrganizationImportViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    rate_limit_class = {"create": "upload"}
    permission_classes = [IsOrgAdmin]
    required_scopes = {"GET": "org:admin", "POST": "org:admin"}
    parser_classes = [MultiPartParser]
    serializer_class = ImportJobSerializer
    filter_backends = [FilterBackend]
    filterset_class = ImportJobFilter

    def get_queryset(self):
        return selectors.import_job_list()

    def create(self, request, organization_id=None):
        refuse_oversized_body(request)
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_job_create(
            organization=self.organization,
            created_by=request.user,
            uploaded_file=data.validated_data.pop("file"),
            **data.validated_data,
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["imports"], parameters=[JOB_ID])
@extend_schema_view(
    retrieve=extend_schema(
        summary="An import job (admins of its organization)",
        description="Its file name, kind, mode, state and phase, counts, warnings, who uploaded it and when it "
        "ran; another organization's job is a 404.",
    )
)
class ImportJobViewSet(mixins.RetrieveModelMixin, OrganizationScopedViewSet):
    permission_classes = [IsOrgAdmin]
    required_scopes = {"GET": "org:admin", "POST": "org:admin"}
    serializer_class = ImportJobSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.import_job_list()

    @extend_schema(
        summary="State, counts and progress of an import job",
        description="A small answer to poll while the job runs: `state`, `phase`, `progress` (0-100 over the "
        "whole job) and the counts so far; done when `state` is `succeeded`, `failed` or `cancelled`.",
        responses=ImportStatusSerializer,
    )
    @action(detail=True, methods=["get"], url_path="status")
    def job_status(self, request, pk=None):
        return Response(ImportStatusSerializer(self.get_object()).data)

    @extend_schema(
        summary="The rejected rows of an import job, with line numbers and reasons (JSON, or CSV)",
        description="One entry per problem: the file's line, the column, a code, a message and the value. JSON "
        "pages, or the whole list as a CSV file with `?format=csv`.",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "csv"],
                description="csv: a CSV file (cells a spreadsheet would run as formulas are neutralised).",
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                ImportRowErrorSerializer(many=True), description="The rejected rows, paginated."
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="With ?format=csv: line, column, code, message, value (UTF-8, BOM)."
            ),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FormatParameterNegotiation)
    def errors(self, request, pk=None):
        job = self.get_object()
        wanted = request.query_params.get("format") or "json"
        if wanted not in ("json", "csv"):
            raise ValidationError({"format": ["Expected json or csv."]}, code="invalid_choice")
        errors = selectors.import_row_error_list(job=job)
        if wanted == "csv":
            return self.errors_csv(job, errors)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(errors, request, view=self)
        return paginator.get_paginated_response(ImportRowErrorSerializer(page, many=True).data)

    def errors_csv(self, job, errors) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        response.write("\ufeff")  # a BOM, so that spreadsheets read the file as UTF-8
        writer = csv_writer(response)
        writer.writerow(ERROR_COLUMNS)
        for error in errors.values_list(*ERROR_COLUMNS).iterator(chunk_size=2000):
            writer.writerow(error)
        return response

    @extend_schema(
        summary="Cancel a pending or running import job",
        description="Takes effect between batches: rows of batches already committed stay (`created` says how "
        "many). A job that already ended answers 409 `conflict`.",
        request=None,
        responses=ImportJobSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = services.import_job_cancel(job=self.get_object(), actor=request.user)
        return Response(ImportJobSerializer(selectors.import_job_get(job_id=job.pk)).data)
