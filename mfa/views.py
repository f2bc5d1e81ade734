"""The caller's second factors: ``/users/me/mfa``. Each endpoint is rate limited per account and per address."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.conditional import PreconditionMixin
from config.ratelimit import enforce_caller_rate_limits
from config.reauth import require_recent_authentication
from mfa import selectors, services
from mfa.serializers import CodeSerializer, MfaStateSerializer, RecoveryCodesSerializer, TotpEnrolmentSerializer

REAUTH_NOTE = (
    "Needs a recent re-authentication: otherwise 403 `reauthentication_required` (POST /auth/reauthenticate, "
    "then try again)."
)


def _limit(request, name: str) -> None:
    """The per-address and per-account limits of one second-factor endpoint (``RATE_LIMITS`` mfa_<name>_*)."""
    enforce_caller_rate_limits(request, f"mfa_{name}")


def _recovery_codes(codes: list[str], *, status_code=status.HTTP_200_OK) -> Response:
    return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data, status=status_code)


class MfaStateView(APIView):
    @extend_schema(
        responses={200: MfaStateSerializer},
        tags=["mfa"],
        summary="The caller's second factors: whether they are on, since when, recovery codes left",
        description="Whether an authenticator app (TOTP) is confirmed, since when, and how many unused recovery "
        "codes are left; enrol with `POST /users/me/mfa/totp`.",
    )
    def get(self, request):
        return Response(MfaStateSerializer(selectors.mfa_state_get(user=request.user)).data)


class TotpView(PreconditionMixin, APIView):
    rate_limit_class = "auth"
    idempotency_exempt = True  # the answer is the new secret (docs/api/concurrency.md)

    @extend_schema(
        request=None,
        responses={201: TotpEnrolmentSerializer},
        tags=["mfa"],
        summary="Start enrolling an authenticator app (TOTP)",
        description="Answers the secret, its `otpauth://` URI and a QR code of it; nothing changes at sign-in until "
        "POST /users/me/mfa/totp/confirm with a code from the app. Starting again replaces an unconfirmed "
        f"enrolment. Already on: 409 `mfa_already_enabled`. {REAUTH_NOTE}",
    )
    def post(self, request):
        _limit(request, "enrol")
        require_recent_authentication(request)
        enrolment = services.totp_enrol_start(user=request.user, request=request)
        return Response(TotpEnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={204: None},
        tags=["mfa"],
        summary="Turn two-factor sign-in off",
        description="Removes the authenticator app, and the recovery codes with it when no factor remains. "
        f"Not on: 409 `mfa_not_enabled`. {REAUTH_NOTE}",
    )
    def delete(self, request):
        _limit(request, "disable")
        require_recent_authentication(request)
        services.totp_disable(user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(APIView):
    rate_limit_class = "auth"
    idempotency_exempt = True  # the answer is the recovery codes, shown once

    @extend_schema(
        request=CodeSerializer,
        responses={200: RecoveryCodesSerializer},
        tags=["mfa"],
        summary="Confirm the authenticator app with a code: two-factor sign-in is on",
        description="Answers ten recovery codes, shown this once. A wrong code: 400 `invalid_code` on `code`; "
        "no enrolment started: 409 `totp_enrolment_not_started`.",
    )
    def post(self, request):
        _limit(request, "confirm")
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.totp_enrol_confirm(user=request.user, code=data.validated_data["code"], request=request)
        return _recovery_codes(codes)


class RecoveryCodesView(APIView):
    rate_limit_class = "auth"
    idempotency_exempt = True  # the answer is the recovery codes, shown once

    @extend_schema(
        request=None,
        responses={200: RecoveryCodesSerializer},
        tags=["mfa"],
        summary="New recovery codes; the earlier ones stop working",
        description=f"Not on: 409 `mfa_not_enabled`. {REAUTH_NOTE}",
    )
    def post(self, request):
        _limit(request, "recovery_codes")
        require_recent_authentication(request)
        return _recovery_codes(services.recovery_codes_regenerate(user=request.user, request=request))
