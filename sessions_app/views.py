from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserReferenceSerializer
from config.conditional import PreconditionMixin
from config.permissions import IsSuperuser, TokenScope
from config.ratelimit import enforce_caller_rate_limits, enforce_ip_rate_limit, enforce_rate_limit
from config.schema import ErrorEnvelopeSerializer
from config.views import PublicAPIView
from mfa.serializers import MfaChallengeSerializer
from mfa.services import mfa_challenge_limit_key
from sessions_app import selectors, services
from sessions_app.cookies import refresh_cookie_clear, refresh_cookie_enabled, refresh_cookie_set, refresh_from_cookie
from sessions_app.filters import AdminSessionFilter
from sessions_app.serializers import (
    AccessTokenSerializer,
    AdminSessionSerializer,
    LoginMfaSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    ReauthenticateSerializer,
    RefreshSerializer,
    SessionSerializer,
    TokenPairSerializer,
)
from sessions_app.tokens import token_pair_body

# Public endpoints get no 401 from config.schema.AutoSchema, but these two answer it.
BAD_CREDENTIALS = OpenApiResponse(
    ErrorEnvelopeSerializer, description="Wrong email/username or password, or the account is deactivated."
)
# What every way of signing in answers: a session, or, for an account with a second factor, a challenge.
SIGN_IN_ANSWER = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="SignInAnswer",
        serializers=[LoginResponseSerializer, MfaChallengeSerializer],
        resource_type_field_name=None,
    ),
    description="Signed in: the token pair, the user and the new session. Or, when the account has a second "
    "factor, no session yet: `{mfa_required: true, mfa_token, mfa_methods, expires_in}`; "
    "POST the code with the mfa_token to /auth/login/mfa.",
)
BAD_MFA_ANSWER = OpenApiResponse(
    ErrorEnvelopeSerializer,
    description="`invalid_code` (try again with the same mfa_token), `mfa_token_invalid` or `mfa_token_expired` "
    "(sign in again), `user_inactive`.",
)
EMAIL_NOT_VERIFIED = OpenApiResponse(
    ErrorEnvelopeSerializer,
    description="`email_not_verified`: the password is right but, with `REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN` on, "
    "the account's email is not verified yet.",
)
BAD_REFRESH_TOKEN = OpenApiResponse(
    ErrorEnvelopeSerializer,
    description="The refresh token is invalid, expired or revoked, or was already used (the session then ends).",
)


def token_pair_response(request, tokens: dict, **extra) -> Response:
    """The token pair (and ``extra``) as sign-in and refresh answer it: the refresh token in the body,
    or, with ``JWT_REFRESH_COOKIE`` on, in its cookie only."""
    body = {**token_pair_body(tokens), **extra}
    if not refresh_cookie_enabled():
        return Response(body)
    refresh = body.pop("refresh")
    response = Response(body)
    refresh_cookie_set(response, request=request, refresh=refresh, max_age=body["refresh_expires_in"])
    return response


def sign_in_response(request, signed_in: services.SignIn) -> Response:
    """What every way of signing in answers (``LoginResponseSerializer``): the token pair, the user
    and the new session; or, when the account has a second factor, its challenge
    (``MfaChallengeSerializer``), also a 200."""
    if signed_in.mfa_challenge is not None:
        return Response(MfaChallengeSerializer(signed_in.mfa_challenge).data)
    session = signed_in.session
    return token_pair_response(
        request,
        signed_in.tokens,
        user=UserReferenceSerializer(session.user, with_email=True).data,
        session=SessionSerializer(session, context={"current_session_id": session.pk}).data,
    )


class LoginView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=LoginSerializer,
        responses={200: SIGN_IN_ANSWER, 401: BAD_CREDENTIALS, 403: EMAIL_NOT_VERIFIED},
        tags=["auth"],
        summary="Sign in with an email (or username) and password",
        description="Opens a session and answers the token pair (`access`, lasting `JWT_ACCESS_MINUTES`; `refresh`, "
        "`JWT_REFRESH_DAYS`), the seconds each has left, the user and the session. For an account with a second "
        "factor it answers `mfa_required` and an `mfa_token` instead: finish with `POST /auth/login/mfa`. Limited "
        "per address and per account (429 with `Retry-After`).",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "login_ip")
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identifier = data.validated_data["email"].strip()
        enforce_rate_limit(request, "login_account", value=services.session_login_limit_key(identifier=identifier))
        signed_in = services.session_login(
            identifier=identifier,
            password=data.validated_data["password"],
            device_name=data.validated_data.get("device_name", ""),
            request=request,
        )
        return sign_in_response(request, signed_in)


class LoginMfaView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=LoginMfaSerializer,
        responses={200: LoginResponseSerializer, 401: BAD_MFA_ANSWER},
        tags=["auth"],
        summary="Finish signing in with the second factor",
        description="With the `mfa_token` that signing in answered and a code of the authenticator app or a "
        "recovery code: answers exactly what /auth/login answers when no second factor is needed. The token is "
        "single use and expires; wrong codes are limited per account and per address, and back off.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "mfa_login_ip")
        data = LoginMfaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = data.validated_data["mfa_token"]
        account = mfa_challenge_limit_key(token=token)
        enforce_rate_limit(request, "mfa_login_account", value=account)
        signed_in = services.sign_in_second_factor(
            mfa_token=token,
            code=data.validated_data["code"],
            factor=data.validated_data.get("method"),
            request=request,
        )
        return sign_in_response(request, signed_in)


class RefreshView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, 401: BAD_REFRESH_TOKEN},
        tags=["auth"],
        summary="Trade the refresh token for a new token pair",
        description="Answers a new access and refresh token and renews the session's expiry; the refresh token "
        "sent is spent. Sent again, it is taken as stolen: the session ends (401 `refresh_token_reused`). With "
        "`JWT_REFRESH_COOKIE` on, an empty body uses the cookie, with the `X-CSRFToken` header.",
    )
    def post(self, request):
        enforce_ip_rate_limit(request, "refresh")
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw_refresh = data.validated_data.get("refresh") or refresh_from_cookie(request)
        if not raw_refresh:
            raise ValidationError({"refresh": [ErrorDetail("This field is required.", code="required")]})
        return token_pair_response(request, services.session_refresh(raw_refresh=raw_refresh, request=request))


def reauthenticated_response(tokens: dict) -> Response:
    """What re-authenticating answers (``AccessTokenSerializer``), by password, code or a provider: the new
    access token, whose ``auth_time`` is now; the refresh token stays as it was."""
    body = token_pair_body(tokens)
    return Response({"access": body["access"], "access_expires_in": body["access_expires_in"]})


class ReauthenticateView(APIView):
    rate_limit_class = "auth"
    idempotency_exempt = True  # the answer is an access token

    @extend_schema(
        request=ReauthenticateSerializer,
        responses={200: AccessTokenSerializer},
        tags=["auth"],
        summary="Confirm it is you again, before a sensitive change",
        description="Sensitive changes (turning a second factor off, new recovery codes, deleting the account) "
        "answer 403 `reauthentication_required` unless the session proved its person's identity within "
        "`REAUTHENTICATION_WINDOW_SECONDS`. This proves it again with the password, or a code of the "
        "authenticator app (`code`, for accounts without a password), and answers a new access "
        "token that says so; use it for the change. The refresh token is unchanged.",
    )
    def post(self, request):
        enforce_caller_rate_limits(request, "reauthenticate")
        data = ReauthenticateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = selectors.session_get_current(request=request)
        method = services.reauthentication_check(user=request.user, request=request, **data.validated_data)
        tokens = services.session_reauthenticate(session=session, request=request, method=method)
        return reauthenticated_response(tokens)


class LogoutView(APIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=None,
        responses={204: None},
        tags=["auth"],
        summary="Sign out: end the current session",
        description="Its access and refresh tokens stop working on the next request; clears the refresh cookie.",
    )
    def post(self, request):
        session = selectors.session_get_current(request=request)
        if session is not None:
            services.session_logout(session=session, request=request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        refresh_cookie_clear(response)
        return response


class LogoutAllView(APIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description="Number of sessions ended.")},
        tags=["auth"],
        summary="Sign out everywhere: end every session of the caller",
        description="Every session of the caller's, this one included, ends at once; answers how many (`revoked`).",
    )
    def post(self, request):
        count = services.session_logout_all(user=request.user, request=request)
        response = Response({"revoked": count})
        refresh_cookie_clear(response)
        return response


class SessionViewSet(PreconditionMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own active sessions; deleting one revokes it."""

    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated, TokenScope]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.session_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "current_session_id": getattr(self.request, "session_id", None)}

    @extend_schema(
        tags=["sessions"],
        summary="The caller's active sessions",
        description="One per sign-in: device, address, sign-in method, when last seen and when it expires; "
        "`is_current` marks the one making this request.",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=["sessions"],
        responses={204: None},
        summary="End one of the caller's sessions",
        description="Its tokens stop working on their next request (e.g. a lost phone). Another person's session "
        "is a 404.",
    )
    def destroy(self, request, *args, **kwargs):
        services.session_revoke_by_owner(session=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminSessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every session, for superusers monitoring sign-ins."""

    serializer_class = AdminSessionSerializer
    permission_classes = [IsSuperuser, TokenScope]
    filterset_class = AdminSessionFilter
    ordering_fields = ["created_at", "last_seen_at", "expires_at"]

    def get_queryset(self):
        return selectors.session_list_for_admin()

    @extend_schema(
        tags=["sessions"],
        summary="Every person's sessions (superusers)",
        description="For staff monitoring sign-ins: filter by user, address, active or not, and creation time; "
        "staff end a session from the admin.",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
