from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView

from config.conditional import PreconditionMixin
from config.ratelimit import enforce_ip_rate_limit
from config.schema import ErrorEnvelopeSerializer
from config.views import PublicAPIView
from sessions_app.authentication import SessionJWTAuthentication
from sessions_app.serializers import LoginResponseSerializer
from sessions_app.views import reauthenticated_response, sign_in_response
from sso import providers, selectors, services
from sso.cookies import binding_cookie_set, binding_from
from sso.models import SSOAttempt
from sso.serializers import (
    AuthorizationSerializer,
    AuthorizeQuerySerializer,
    AuthorizeSerializer,
    CallbackSerializer,
    ProviderSerializer,
    SocialIdentitySerializer,
)

PROVIDER = OpenApiParameter(
    "provider", str, OpenApiParameter.PATH, enum=["oidc", "google", "github"], description="404 when not configured."
)
PROVIDER_DOWN = {
    502: OpenApiResponse(
        ErrorEnvelopeSerializer, description="`provider_bad_response`: the provider answered nonsense."
    ),
    503: OpenApiResponse(
        ErrorEnvelopeSerializer, description="`provider_unavailable`: the provider could not be reached in time."
    ),
}


def authorization_response(authorization: services.Authorization) -> Response:
    response = Response({"authorization_url": authorization.authorization_url, "state": authorization.state})
    binding_cookie_set(response, authorization.binding)
    return response


class ProviderListView(PublicAPIView):
    @extend_schema(
        responses={200: ProviderSerializer(many=True)},
        tags=["sso"],
        summary="The sign-in providers that are configured, for the frontend's buttons",
        description="Name (for the URLs), display name and kind of each provider this server has credentials "
        "for; empty when none is configured.",
    )
    def get(self, request):
        found = [
            {"name": p.name, "display_name": p.display_name, "kind": "oidc" if p.is_oidc else "oauth2"}
            for p in providers.providers_enabled().values()
        ]
        return Response(ProviderSerializer(found, many=True).data)


class AuthorizeView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        parameters=[PROVIDER, AuthorizeQuerySerializer],
        responses={200: AuthorizationSerializer, **PROVIDER_DOWN},
        tags=["sso"],
        summary="Start signing in with a provider: its authorization URL",
        description="Answers the provider's authorization URL (authorization code flow, PKCE S256, a nonce "
        "for OpenID Connect) and sets the HttpOnly `sso_binding` cookie that the callback must bring back. "
        "`redirect_uri` must be one of `SSO_REDIRECT_URIS` (400 `redirect_uri_not_allowed`).",
    )
    def get(self, request, provider):
        enforce_ip_rate_limit(request, "sso_authorize_ip")
        query = AuthorizeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        authorization = services.sso_authorize(
            provider_name=provider, redirect_uri=query.validated_data["redirect_uri"], binding=binding_from(request)
        )
        return authorization_response(authorization)


def _caller(request):
    """``(user, session_id)`` of a good access token on the request, else None (the callback is public)."""
    try:
        result = SessionJWTAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return (result[0], getattr(request, "session_id", None)) if result else None


class CallbackView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        parameters=[PROVIDER],
        request=CallbackSerializer,
        responses={
            200: OpenApiResponse(
                LoginResponseSerializer,
                description="Signed in: the body of `/auth/login` (or its `mfa_required` challenge). An attempt "
                "started by `POST /oauth/reauthenticate/{provider}` answers `{access, access_expires_in}` instead.",
            ),
            201: OpenApiResponse(
                SocialIdentitySerializer,
                description="An attempt started by `POST /users/me/identities/{provider}`: the identity is linked.",
            ),
            401: OpenApiResponse(
                ErrorEnvelopeSerializer,
                description="Linking or re-authenticating without the "
                "access token of the account that started it; or the account is disabled.",
            ),
            403: OpenApiResponse(
                ErrorEnvelopeSerializer, description="`email_not_verified`, `email_required`, `identity_mismatch`."
            ),
            409: OpenApiResponse(ErrorEnvelopeSerializer, description="`account_link_required`, `identity_in_use`."),
            **PROVIDER_DOWN,
        },
        tags=["sso"],
        summary="Finish signing in with a provider: the code and state from the redirect URI",
        description="400 codes: `invalid_state` (unknown, expired, used, or started in another browser: the "
        "`sso_binding` cookie must come with this request), `invalid_id_token`, `provider_error` (the "
        "provider refused the code). See docs/identity.md#single-sign-on.",
    )
    def post(self, request, provider):
        enforce_ip_rate_limit(request, "sso_callback_ip")
        data = CallbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.sso_callback(
            provider_name=provider,
            code=data.validated_data["code"],
            state=data.validated_data["state"],
            device_name=data.validated_data["device_name"],
            binding=binding_from(request),
            caller=_caller(request),
            request=request,
        )
        if result.intent == SSOAttempt.Intent.LINK:
            return Response(SocialIdentitySerializer(result.identity).data, status=status.HTTP_201_CREATED)
        if result.intent == SSOAttempt.Intent.REAUTHENTICATE:
            return reauthenticated_response(result.tokens)
        return sign_in_response(request, result.signed_in)


class ReauthenticateStartView(APIView):
    rate_limit_class = "auth"

    @extend_schema(
        parameters=[PROVIDER],
        request=AuthorizeSerializer,
        responses={200: AuthorizationSerializer, **PROVIDER_DOWN},
        tags=["sso"],
        summary="Confirm it is you again through a linked provider (for accounts without a password)",
        description="Like `GET /oauth/authorize`; the callback (with this session's access token) answers "
        "`{access, access_expires_in}`, a new access token whose `auth_time` is now, as "
        "`POST /auth/reauthenticate` does. 409 `identity_not_linked` without an identity of this provider.",
    )
    def post(self, request, provider):
        enforce_ip_rate_limit(request, "sso_authorize_ip")
        data = AuthorizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        authorization = services.sso_reauthenticate_start(
            provider_name=provider,
            redirect_uri=data.validated_data["redirect_uri"],
            user=request.user,
            session_id=getattr(request, "session_id", None),
            binding=binding_from(request),
        )
        return authorization_response(authorization)


class IdentityListView(generics.ListAPIView):
    serializer_class = SocialIdentitySerializer
    filter_backends: list = []

    @extend_schema(
        tags=["sso"],
        summary="The provider identities linked to the caller's account",
        description="Each linked identity's provider, its email there and when it was linked and last used.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.identity_list(user=self.request.user)


class IdentityLinkStartView(APIView):
    rate_limit_class = "auth"

    @extend_schema(
        parameters=[PROVIDER],
        request=AuthorizeSerializer,
        responses={200: AuthorizationSerializer, **PROVIDER_DOWN},
        tags=["sso"],
        summary="Start linking a provider identity to the caller's account",
        description="Like `GET /oauth/authorize`; the callback, sent with the caller's access token, links "
        "the identity (201) instead of signing in.",
    )
    def post(self, request, provider):
        enforce_ip_rate_limit(request, "sso_authorize_ip")
        data = AuthorizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        authorization = services.sso_authorize(
            provider_name=provider,
            redirect_uri=data.validated_data["redirect_uri"],
            binding=binding_from(request),
            intent=SSOAttempt.Intent.LINK,
            user=request.user,
        )
        return authorization_response(authorization)


class IdentityDetailView(PreconditionMixin, generics.GenericAPIView):
    serializer_class = SocialIdentitySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.identity_list(user=self.request.user)

    @extend_schema(
        tags=["sso"],
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorEnvelopeSerializer,
                description="`last_sign_in_method`: no password and no other identity would be left.",
            ),
        },
        summary="Remove a linked provider identity",
        description="Signing in with that provider then no longer reaches this account. Refused while it is the "
        "account's only way to sign in (409 `last_sign_in_method`).",
    )
    def delete(self, request, pk):
        services.identity_unlink(identity=self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
