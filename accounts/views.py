from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    MeSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RegisterSerializer,
    UserCreateSerializer,
    UserReferenceSerializer,
)
from config.permissions import IsSuperuser
from config.ratelimit import enforce_ip_rate_limit, enforce_rate_limit
from config.views import PublicAPIView


def _session_id(request) -> str | None:
    """The caller's session: the registered JWT claim ``sid`` of the access token that signed the request in."""
    return request.auth.get("sid") if request.auth is not None else None


class RegisterView(PublicAPIView):
    @extend_schema(request=RegisterSerializer, responses={201: UserReferenceSerializer(with_email=True)}, tags=["auth"])
    def post(self, request):
        if not settings.REGISTRATION_OPEN:
            raise PermissionDenied("Registration is closed.", code="registration_closed")
        enforce_ip_rate_limit(request, group="register", rate_name="register")
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data, validate_password=True)
        return Response(UserReferenceSerializer(user, with_email=True).data, status=status.HTTP_201_CREATED)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        # Each change is a guess of the current password: bounded per address and per account.
        enforce_ip_rate_limit(request, group="password-change-ip", rate_name="password_change_ip")
        enforce_rate_limit(
            request, group="password-change-account", value=str(request.user.pk), rate_name="password_change_account"
        )
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(
            user=request.user, keep_session_id=_session_id(request), request=request, **data.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAPIView):
    @extend_schema(
        request=PasswordResetSerializer,
        responses={202: OpenApiResponse(description="If the email belongs to an account, a link was sent.")},
        tags=["auth"],
    )
    def post(self, request):
        enforce_ip_rate_limit(request, group="password-reset-ip", rate_name="password_reset_ip")
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        enforce_rate_limit(
            request, group="password-reset-account", value=email.lower(), rate_name="password_reset_account"
        )
        services.password_reset_request(email=email, request=request)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAPIView):
    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        enforce_ip_rate_limit(request, group="password-reset-ip", rate_name="password_reset_ip")
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(request=request, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, tags=["users"])
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, tags=["users"])
    def patch(self, request):
        data = MeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        current_password = changes.pop("current_password", None)
        user = services.user_update_profile(user=request.user, current_password=current_password, **changes)
        return Response(MeSerializer(user).data)


class UserCreateView(APIView):
    permission_classes = [IsSuperuser]

    @extend_schema(
        request=UserCreateSerializer, responses={201: UserReferenceSerializer(with_email=True)}, tags=["users"]
    )
    def post(self, request):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data, validate_password=True)
        return Response(UserReferenceSerializer(user, with_email=True).data, status=status.HTTP_201_CREATED)
