from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserReferenceSerializer
from config.permissions import IsSuperuser
from config.ratelimit import enforce_ip_rate_limit, enforce_rate_limit
from config.schema import ErrorEnvelopeSerializer
from config.views import PublicAPIView
from sessions_app import selectors, services
from sessions_app.cookies import refresh_cookie_clear, refresh_cookie_enabled, refresh_cookie_set, refresh_from_cookie
from sessions_app.filters import AdminSessionFilter
from sessions_app.serializers import (
    AdminSessionSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    RefreshSerializer,
    SessionSerializer,
    TokenPairSerializer,
)
from sessions_app.tokens import token_pair_body

# Public endpoints get no 401 from config.schema.AutoSchema, but these two answer it.
BAD_CREDENTIALS = OpenApiResponse(
    ErrorEnvelopeSerializer, description="Wrong email/username or password, or the account is deactivated."
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


class LoginView(PublicAPIView):
    @extend_schema(
        request=LoginSerializer, responses={200: LoginResponseSerializer, 401: BAD_CREDENTIALS}, tags=["auth"]
    )
    def post(self, request):
        enforce_ip_rate_limit(request, group="login-ip", rate_name="login_ip")
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identifier = data.validated_data["email"].strip()
        enforce_rate_limit(
            request,
            group="login-account",
            value=services.session_login_limit_key(identifier=identifier),
            rate_name="login_account",
        )
        session, tokens = services.session_login(
            identifier=identifier,
            password=data.validated_data["password"],
            device_name=data.validated_data.get("device_name", ""),
            request=request,
        )
        return token_pair_response(
            request,
            tokens,
            user=UserReferenceSerializer(session.user, with_email=True).data,
            session=SessionSerializer(session, context={"current_session_id": session.pk}).data,
        )


class RefreshView(PublicAPIView):
    @extend_schema(
        request=RefreshSerializer, responses={200: TokenPairSerializer, 401: BAD_REFRESH_TOKEN}, tags=["auth"]
    )
    def post(self, request):
        enforce_ip_rate_limit(request, group="refresh", rate_name="refresh")
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw_refresh = data.validated_data.get("refresh") or refresh_from_cookie(request)
        if not raw_refresh:
            raise ValidationError({"refresh": [ErrorDetail("This field is required.", code="required")]})
        return token_pair_response(request, services.session_refresh(raw_refresh=raw_refresh, request=request))


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        session = selectors.session_get_current(request=request)
        if session is not None:
            services.session_logout(session=session, request=request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        refresh_cookie_clear(response)
        return response


class LogoutAllView(APIView):
    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description="Number of sessions ended.")},
        tags=["auth"],
    )
    def post(self, request):
        count = services.session_logout_all(user=request.user, request=request)
        response = Response({"revoked": count})
        refresh_cookie_clear(response)
        return response


class SessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own active sessions; deleting one revokes it."""

    serializer_class = SessionSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.session_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "current_session_id": getattr(self.request, "session_id", None)}

    @extend_schema(tags=["sessions"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=["sessions"], responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.session_revoke_by_owner(session=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminSessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every session, for superusers monitoring sign-ins."""

    serializer_class = AdminSessionSerializer
    permission_classes = [IsSuperuser]
    filterset_class = AdminSessionFilter
    ordering_fields = ["created_at", "last_seen_at", "expires_at"]

    def get_queryset(self):
        return selectors.session_list_for_admin()

    @extend_schema(tags=["sessions"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
