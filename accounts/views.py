from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import User, normalize_email
from accounts.serializers import (
    EmailResendSerializer,
    EmailVerifiedSerializer,
    EmailVerifySerializer,
    MeSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RegisterSerializer,
    UserCreateSerializer,
    UserReferenceSerializer,
)
from config.conditional import PreconditionMixin, lock_row
from config.permissions import IsSuperuser, TokenScope
from config.ratelimit import enforce_caller_rate_limits, enforce_ip_rate_limit, enforce_rate_limit
from config.schema import ErrorEnvelopeSerializer
from config.views import PublicAPIView


def _session_id(request) -> str | None:
    """The caller's session: the registered JWT claim ``sid`` of the access token that signed the request in."""
    return request.auth.get("sid") if request.auth is not None else None


class RegisterView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=RegisterSerializer,
        responses={201: UserReferenceSerializer(with_email=True)},
        tags=["auth"],
        summary="Create an account",
        description="Answers the new account; a verification email (a link and a code) goes to its address, and "
        "signing in is `POST /auth/login`. 403 `registration_closed` when `REGISTRATION_OPEN` is off; limited "
        "per address.",
    )
    def post(self, request):
        if not settings.REGISTRATION_OPEN:
            raise PermissionDenied("Registration is closed.", code="registration_closed")
        enforce_ip_rate_limit(request, "register")
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data, request=request)
        return Response(UserReferenceSerializer(user, with_email=True).data, status=status.HTTP_201_CREATED)


class PasswordChangeView(APIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={204: None},
        tags=["auth"],
        summary="Change one's password",
        description="Needs the current password (wrong guesses are limited per account and address). Every other "
        "session of the account ends; this one stays signed in.",
    )
    def post(self, request):
        # Each change is a guess of the current password: bounded per address and per account.
        enforce_caller_rate_limits(request, "password_change")
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(
            user=request.user, keep_session_id=_session_id(request), request=request, **data.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=PasswordResetSerializer,
        responses={202: OpenApiResponse(description="If the email belongs to an account, a link was sent.")},
        tags=["auth"],
        summary="Ask for a password reset link by email",
        description="Always 202, whether or not the address has an account (nothing to learn from it); the "
        "email's link leads to the frontend (`FRONTEND_URL`), which confirms with "
        "`POST /auth/password/reset/confirm`. Limited per address and per email.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "password_reset_ip")
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        enforce_rate_limit(request, "password_reset_account", value=email.lower())
        services.password_reset_request(email=email, request=request)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: None},
        tags=["auth"],
        summary="Set a new password with the reset link's token",
        description="The token of the emailed link and the new password; every session of the account ends. "
        "400 `invalid_token` for a link that is wrong, used or expired.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "password_reset_ip")
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(request=request, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(PreconditionMixin, APIView):
    permission_classes = [IsAuthenticated, TokenScope]
    # A token reads the profile; changing it (or deleting the account) is the person's own session's.
    required_scopes = {"GET": "profile"}

    def lock_resource(self) -> None:
        lock_row(User, self.request.user.pk)

    def resource_locked(self) -> None:
        self.request.user.refresh_from_db()  # authenticated before the lock: read it again

    @extend_schema(
        responses=MeSerializer,
        tags=["users"],
        summary="The signed-in person's own profile",
        description="Email (and the `pending_email` an email change waits on), whether it is verified, username, "
        "name and notification settings (email, webhook with its signing secret, Discord). Personal access "
        "tokens need the `profile` scope.",
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        request=MeUpdateSerializer,
        responses=MeSerializer,
        tags=["users"],
        summary="Change one's profile",
        description="A new `email` does not change the email yet: it is answered as `pending_email`, the new "
        "address is sent a verification and the current one a notice (see docs/identity.md).",
    )
    def patch(self, request):
        data = MeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        current_password = changes.pop("current_password", None)
        if "email" in changes and normalize_email(changes["email"]) not in (
            request.user.email,
            request.user.pending_email,
        ):
            # Each email change guesses the current password and sends two emails: bounded.
            enforce_caller_rate_limits(request, "email_change")
        user = services.user_update_profile(
            user=request.user, current_password=current_password, request=request, **changes
        )
        return Response(MeSerializer(user).data)


class UserCreateView(APIView):
    permission_classes = [IsSuperuser, TokenScope]

    @extend_schema(
        request=UserCreateSerializer,
        responses={201: UserReferenceSerializer(with_email=True)},
        tags=["users"],
        summary="Create an account for someone (superusers)",
        description="As registering does (a password, and a verification email to the address), whatever "
        "`REGISTRATION_OPEN` says; it may make the account staff or superuser.",
    )
    def post(self, request):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The superuser typed the address; its owner still proves it, as after registering.
        user = services.user_register(**data.validated_data, request=request)
        return Response(UserReferenceSerializer(user, with_email=True).data, status=status.HTTP_201_CREATED)


class EmailVerifyView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=EmailVerifySerializer,
        responses={
            200: EmailVerifiedSerializer,
            400: OpenApiResponse(ErrorEnvelopeSerializer, description="`invalid_token` or `invalid_code`."),
            409: OpenApiResponse(
                ErrorEnvelopeSerializer, description="`email_taken`: the new address of an email change was taken."
            ),
            410: OpenApiResponse(
                ErrorEnvelopeSerializer, description="`verification_expired` or `verification_used` (a link)."
            ),
        },
        tags=["auth"],
        summary="Confirm an email verification with the link's token, or with the email and its code",
        description="The link's `token`, or the `email` and the 6-digit `code` of the same message (wrong codes "
        "are counted; too many void it). Confirms the account's address, or finishes an email change.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "email_verify_ip")
        data = EmailVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data.get("token"):
            # Six digits are guessable: the codes tried for one address are bounded too.
            enforce_rate_limit(request, "email_verify_account", value=normalize_email(data.validated_data["email"]))
        user, verification = services.email_verify(request=request, **data.validated_data)
        body = {"email": user.email, "email_verified": True, "email_changed": verification.purpose == "change"}
        return Response(EmailVerifiedSerializer(body).data)


class EmailResendView(APIView):
    rate_limit_class = "auth"
    permission_classes = [AllowAny, TokenScope]

    @extend_schema(
        request=EmailResendSerializer,
        responses={
            202: OpenApiResponse(description="A new link and code are on their way (if there is anything to verify)."),
            401: OpenApiResponse(
                ErrorEnvelopeSerializer,
                description="An invalid or expired access token was sent (send none to resend by email).",
            ),
            409: OpenApiResponse(
                ErrorEnvelopeSerializer, description="Signed in: `email_already_verified`, nothing to verify."
            ),
        },
        tags=["auth"],
        summary="Send a new verification email",
        description="Signed in without `email`: the pending new address if an email change waits, else the "
        "account's address. With `email` (signed in or not): a new email goes to that address only if it is the "
        "unverified address of an account; the answer is the same whether or not one exists. Earlier links and "
        "codes stop working.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "email_resend_ip")
        data = EmailResendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data.get("email")
        if email is None and not request.user.is_authenticated:
            raise ValidationError({"email": ["Required when not signed in."]}, code="required")
        account = normalize_email(email) if email is not None else request.user.email
        enforce_rate_limit(request, "email_resend_account", value=account)
        if email is not None:
            services.email_verification_resend_by_email(email=email, request=request)
        else:
            services.email_verification_resend(user=request.user, request=request)
        return Response(status=status.HTTP_202_ACCEPTED)
