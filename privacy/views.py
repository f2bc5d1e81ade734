"""Deleting one's account (DELETE /users/me) and exporting one's data (/users/me/export).

Both concern the caller alone: there is no id in the URL, so nobody reaches another person's deletion or
export.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.views import MeView as AccountsMeView
from config.errors import Conflict, NotFound
from config.permissions import TokenScope
from config.ratelimit import enforce_caller_rate_limits, enforce_rate_limit
from config.reauth import require_recent_authentication
from config.schema import ErrorEnvelopeSerializer
from config.signed_links import QUERY_PARAMETER, signed_link_claims
from config.views import STORED_FILE_REDIRECT, PublicAPIView, stored_file_attachment
from privacy import selectors, services
from privacy.models import DataExport, DataExportState
from privacy.serializers import (
    SIGNED_DOWNLOAD_PURPOSE,
    AccountDeleteSerializer,
    AccountDeletionSerializer,
    DataExportSerializer,
    LastOwnerErrorEnvelopeSerializer,
)
from sessions_app.cookies import refresh_cookie_clear
from sessions_app.services import reauthentication_check

NO_EXPORT = "You have no data export (or it expired); start one with POST /users/me/export."


class MeView(AccountsMeView):
    """accounts' profile endpoint (GET, PATCH) with DELETE: routed here, as accounts may not import privacy."""

    delete_has_body = True  # the password (config/schema.py)

    @extend_schema(
        summary="Delete one's account: deactivated now, anonymised after a grace period",
        description=(
            "Needs the current `password`, or a session that re-authenticated recently (`POST /auth/reauthenticate`; "
            "the only way for an account without a password): otherwise 403 `reauthentication_required`, "
            "or 400 `invalid` on `password` when it is wrong. 409 `last_owner` lists, in `organizations`, the "
            "organizations of which the caller is the last owner while others are members: make another member "
            "owner of each first. On 202 every session of the account has ended; it is anonymised at "
            "`deletion_scheduled_at` (`ACCOUNT_DELETION_GRACE_DAYS`)."
        ),
        request=AccountDeleteSerializer,
        responses={
            202: AccountDeletionSerializer,
            409: OpenApiResponse(
                LastOwnerErrorEnvelopeSerializer, description="The caller is the last owner of these organizations."
            ),
        },
        tags=["users"],
    )
    def delete(self, request):
        data = AccountDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password = data.validated_data.get("password")
        if password is None:
            require_recent_authentication(request)
        else:
            # A guess of the password: counted with the re-authentications (sessions_app/views.py).
            enforce_caller_rate_limits(request, "reauthenticate")
            reauthentication_check(user=request.user, request=request, password=password)
        user = services.account_deletion_request(user=request.user, request=request)
        response = Response(AccountDeletionSerializer(user).data, status=status.HTTP_202_ACCEPTED)
        refresh_cookie_clear(response)
        return response


class DataExportView(APIView):
    rate_limit_class = {"post": "export"}
    permission_classes = [IsAuthenticated, TokenScope]

    @extend_schema(
        summary="One's latest data export: its state and, once built, its download URL",
        description="404 `not_found` when there is none, or it expired (`DATA_EXPORT_EXPIRY_HOURS` after it "
        "was built).",
        responses={200: DataExportSerializer},
        tags=["users"],
    )
    def get(self, request):
        export = selectors.data_export_latest(user=request.user)
        if export is None:
            raise NotFound(NO_EXPORT)
        return Response(DataExportSerializer(export, context={"request": request}).data)

    @extend_schema(
        summary="Start an export of all one's data, built by a worker as one JSON file",
        description=(
            "Answers 202 with the export; poll `GET /users/me/export` until `state` is `succeeded` (then "
            "`download_url` is set) or `failed`. While an export is pending or running, this answers that "
            "one. Starting exports is rate limited per account (`RATELIMIT_DATA_EXPORT`)."
        ),
        request=None,
        responses={202: DataExportSerializer},
        tags=["users"],
    )
    def post(self, request):
        if selectors.data_export_in_flight(user=request.user) is None:
            enforce_rate_limit(request, "data_export", value=str(request.user.pk))
        export, _ = services.data_export_request(user=request.user, request=request)
        # Re-read: with eager Celery the export was built when the service's transaction committed.
        export = DataExport.objects.get(pk=export.pk)
        return Response(
            DataExportSerializer(export, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class DataExportDownloadView(APIView):
    rate_limit_class = "export"
    permission_classes = [IsAuthenticated, TokenScope]

    @extend_schema(
        summary="Download one's latest data export (JSON)",
        description=(
            "The file of `GET /users/me/export`, as an attachment. 404 `not_found` when there is no export "
            "(or it expired); 409 `export_not_ready` while it is being built, `export_failed` if it failed."
        ),
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="The export."),
            302: STORED_FILE_REDIRECT,
        },
        tags=["users"],
    )
    def get(self, request):
        return data_export_file_response(selectors.data_export_latest(user=request.user))


def data_export_file_response(export: DataExport | None) -> HttpResponse:
    """One's latest export as an attachment, whichever credential reached it (a bearer token or a signed link)."""
    if export is None:
        raise NotFound(NO_EXPORT)
    if export.state == DataExportState.FAILED:
        raise Conflict("This export failed; start a new one.", code="export_failed")
    if not export.is_ready:
        raise Conflict("This export is not built yet; poll its state.", code="export_not_ready")
    return stored_file_attachment(
        export.file,
        filename=export.filename,
        content_type="application/json",
        missing="The export's file is gone; start a new export.",
    )


class DataExportSignedDownloadView(PublicAPIView):
    """One's data export for whoever holds its signed link (``download_url``): no bearer header, so it works as
    a plain link. The link names the export and its person; it opens that export while it is the person's latest
    and has not expired."""

    @extend_schema(
        summary="Download one's data export with its signed link (no sign-in)",
        description="The `download_url` of `GET /users/me/export`: works without `Authorization`, for that export "
        "only, until it expires (`SIGNED_LINK_MAX_AGE_SECONDS` after it was made): 403 `link_expired`, or "
        "`link_invalid` for a link altered or made for something else. 404 `not_found` once the export expired, "
        "a newer one was started, or the account was deleted.",
        parameters=[
            OpenApiParameter(QUERY_PARAMETER, OpenApiTypes.STR, required=True, description="The link's signature."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="The export."),
            302: STORED_FILE_REDIRECT,
            403: OpenApiResponse(ErrorEnvelopeSerializer, description="`link_expired` or `link_invalid`."),
        },
        tags=["users"],
    )
    def get(self, request):
        export_id, user_id = signed_link_claims(
            request.query_params.get(QUERY_PARAMETER), purpose=SIGNED_DOWNLOAD_PURPOSE
        )
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        export = selectors.data_export_latest(user=user) if user is not None else None
        if export is None or str(export.pk) != export_id:
            raise NotFound(NO_EXPORT)
        return data_export_file_response(export)
