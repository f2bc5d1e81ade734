"""The authorization server's protocol endpoints and pages.

django-oauth-toolkit does the protocol (oauthlib); these views add the project's rules: the consent page
with the organizations, a sign-in page for the flow, the metadata documents (RFC 8414, OpenID Connect
discovery), RFC 7591 registration of public clients, and RFC 7662 introspection for confidential clients.
"""

import calendar
import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from oauth2_provider import views as dot_views
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.common import Request as OauthlibRequest
from rest_framework import serializers, status
from rest_framework.response import Response

from config.credentials import SCOPES
from config.errors import ApplicationError
from config.exceptions import RateLimited, ServiceUnavailable, json_error_response
from config.ratelimit import enforce_ip_rate_limit, enforce_rate_limit
from config.serializers import BoundedListField, StrictCharField
from config.views import PublicAPIView, api_not_found
from mfa.services import mfa_challenge_limit_key
from oauth_server import selectors, services, tokens
from oauth_server.forms import ConsentForm, SecondFactorForm, SignInForm
from oauth_server.models import AccessToken, Application, RefreshToken
from sessions_app.services import session_login_limit_key

SCOPE_WORDS = {**SCOPES, "openid": "Know who you are (your account's id)"}


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def form_posts_only(view):
    """The protocol endpoints and the sign-in page read HTML forms (RFC 6749 section 4.1.3): any other
    body answers 415, as the API's multipart endpoints do, rather than being read as an empty form.

    The new ``dispatch`` keeps what decorators set on the one it replaces (``as_view`` copies it onto
    the view): django-oauth-toolkit's ``csrf_exempt`` of the token and revocation endpoints, which
    programs call without a CSRF cookie."""

    @functools.wraps(view.dispatch)
    def dispatch(self, request, *args, **kwargs):
        has_body = request.META.get("CONTENT_LENGTH") not in (None, "", "0")
        if request.method == "POST" and has_body and (request.content_type or "") not in FORM_TYPES:
            return json_error_response(
                415, "unsupported_media_type", "Send a form (application/x-www-form-urlencoded)."
            )
        try:
            return super(view, self).dispatch(request, *args, **kwargs)
        except RequestDataTooBig:
            return json_error_response(413, "payload_too_large", "The request body is too large.")

    view.dispatch = dispatch
    return view


def _endpoint(request, name: str) -> str:
    iss = tokens.issuer(request)
    return f"{iss}{reverse(f'oauth2_provider:{name}')}"


def server_metadata(request) -> dict:
    """RFC 8414 metadata; OpenID Connect discovery adds its own fields to it."""
    data = {
        "issuer": tokens.issuer(request),
        "authorization_endpoint": _endpoint(request, "authorize"),
        "token_endpoint": _endpoint(request, "token"),
        "revocation_endpoint": _endpoint(request, "revoke-token"),
        "introspection_endpoint": _endpoint(request, "introspect"),
        "jwks_uri": _endpoint(request, "jwks-info"),
        "scopes_supported": sorted(SCOPE_WORDS),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{tokens.issuer(request)}/api/v1/docs/",
    }
    if settings.OAUTH_DYNAMIC_REGISTRATION:
        data["registration_endpoint"] = _endpoint(request, "dcr-register")
    return data


def _public_json(data: dict) -> JsonResponse:
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"  # read by browser-based clients of any origin
    response["Cache-Control"] = "public, max-age=3600"
    return response


class ServerMetadataView(View):
    """GET /.well-known/oauth-authorization-server (RFC 8414)."""

    def get(self, request, *args, **kwargs):
        return _public_json(server_metadata(request))


class OpenIDConfigurationView(View):
    """GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0)."""

    def get(self, request, *args, **kwargs):
        data = server_metadata(request)
        data.update(
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            claims_supported=["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce"],
        )
        return _public_json(data)


# --- Sign-in and consent (HTML pages, no JavaScript) ------------------------------------------------


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):  # fmt: skip
        return target
    return reverse("oauth2_provider:signed-in")


@method_decorator([never_cache, sensitive_post_parameters("password", "code")], name="dispatch")
@form_posts_only
class SignInView(View):
    """GET/POST /api/v1/oauth/provider/login: the password, then the second factor if the account has one.
    Opens a Django session (OAUTH_SIGN_IN_SECONDS) for the authorization pages only."""

    rate_limit_class = "auth"
    template_name = "oauth_server/sign_in.html"

    def get(self, request, *args, **kwargs):
        return self._page(request, SignInForm())

    def post(self, request, *args, **kwargs):
        try:
            if "mfa_token" in request.POST:
                return self._second_factor(request)
            return self._password(request)
        except (RateLimited, ServiceUnavailable) as exc:
            form = SignInForm(request.POST) if "mfa_token" not in request.POST else SecondFactorForm(request.POST)
            return self._page(request, form, error=str(exc.detail), status=exc.status_code)
        except ApplicationError as exc:
            form = SignInForm(request.POST) if "mfa_token" not in request.POST else SecondFactorForm(request.POST)
            return self._page(request, form, error=exc.message, status=exc.status_code)

    def _password(self, request):
        enforce_ip_rate_limit(request, "login_ip")
        form = SignInForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        identifier = form.cleaned_data["identifier"].strip()
        enforce_rate_limit(request, "login_account", value=session_login_limit_key(identifier=identifier))
        result = services.browser_sign_in_password(
            identifier=identifier, password=form.cleaned_data["password"], request=request
        )
        if result.mfa_challenge is not None:
            return self._page(request, SecondFactorForm(initial={"mfa_token": result.mfa_challenge.token}))
        return self._signed_in(request, result.user)

    def _second_factor(self, request):
        enforce_ip_rate_limit(request, "mfa_login_ip")
        form = SecondFactorForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        token = form.cleaned_data["mfa_token"]
        enforce_rate_limit(request, "mfa_login_account", value=mfa_challenge_limit_key(token=token))
        user = services.browser_sign_in_second_factor(mfa_token=token, code=form.cleaned_data["code"], request=request)
        return self._signed_in(request, user)

    def _signed_in(self, request, user):
        login(request, user, backend="accounts.backends.EmailOrUsernameBackend")
        request.session.set_expiry(settings.OAUTH_SIGN_IN_SECONDS)
        return redirect(_next_url(request))

    def _page(self, request, form, *, error: str = "", status: int = 200):
        context = {"form": form, "error": error, "next": _next_url(request)}
        return render(request, self.template_name, context, status=status)


class SignedInView(View):
    """Where the sign-in page lands without a ``next``: says so (the flow starts at the client)."""

    def get(self, request, *args, **kwargs):
        return render(request, "oauth_server/signed_in.html", {"user": request.user})


@method_decorator(never_cache, name="dispatch")
class AuthorizationView(dot_views.AuthorizationView):
    """GET/POST /api/v1/oauth/provider/authorize: DOT's authorization endpoint with this project's
    consent page. Always asks: each authorization shows the client, the scopes and the organizations."""

    template_name = "oauth_server/consent.html"
    form_class = ConsentForm
    http_method_names = ["get", "post", "options"]
    login_url = reverse_lazy("oauth2_provider:sign-in")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organizations"] = selectors.consent_organization_list(user=self.request.user)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        initial["organizations"] = [
            str(pk) for pk in selectors.consent_organization_list(user=self.request.user).values_list("pk", flat=True)
        ]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scopes = context.get("scopes") or []
        context["scope_words"] = [(scope, SCOPE_WORDS.get(scope, scope)) for scope in scopes]
        return context

    def form_valid(self, form):
        self._consent = services.Consent(
            organization_ids=frozenset(form.cleaned_data.get("organizations") or []), http_request=self.request
        )
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        if allow:
            credentials = {**credentials, "consent": getattr(self, "_consent", services.Consent(frozenset()))}
        return super().create_authorization_response(request, scopes, credentials, allow)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        redirect_uri = context.get("redirect_uri") if isinstance(context, dict) else None
        if redirect_uri:
            # CSP form-action covers the redirect that follows the form: allow the client's origin.
            parts = urlsplit(redirect_uri)
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response


# --- Token, revocation, introspection ------------------------------------------------------------


@form_posts_only
class TokenView(dot_views.TokenView):
    """POST /api/v1/oauth/provider/token: authorization_code (PKCE), refresh_token (rotated),
    client_credentials (confidential clients)."""

    rate_limit_class = "auth"


@form_posts_only
class RevokeTokenView(dot_views.RevokeTokenView):
    """POST /api/v1/oauth/provider/revoke (RFC 7009): an access or a refresh token of the calling client."""


def _token_active_answer(raw: str) -> dict:
    checksum = tokens.token_checksum(raw)
    access = (
        AccessToken.objects.select_related("oauth_grant", "user", "application").filter(token_checksum=checksum).first()
    )
    if access is not None:
        grant = access.oauth_grant
        if access.is_expired() or (grant is not None and grant.revoked_at is not None):
            return {"active": False}
        if access.user is not None and (grant is None or not access.user.is_active):
            return {"active": False}
        answer = {
            "active": True,
            "token_type": "Bearer",
            "scope": access.scope,
            "client_id": access.application.client_id,
            "exp": calendar.timegm(access.expires.utctimetuple()),
            "iat": calendar.timegm(access.created.utctimetuple()),
            "jti": access.jti,
        }
        if access.user is not None:
            answer.update(sub=str(access.user.pk), username=access.user.get_username())
        return answer
    refresh = (
        RefreshToken.objects.select_related("oauth_grant", "user", "application")
        .filter(token_checksum=checksum, revoked__isnull=True)
        .first()
    )
    if refresh is None or refresh.oauth_grant is None or refresh.oauth_grant.revoked_at is not None:
        return {"active": False}
    if not refresh.user.is_active or refresh.access_token is None:
        return {"active": False}
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": refresh.access_token.scope,
        "client_id": refresh.application.client_id,
        "sub": str(refresh.user.pk),
        "username": refresh.user.get_username(),
    }


def _confidential_client_authenticated(request) -> bool:
    """HTTP Basic or body credentials of a confidential client (a public client has no secret to show)."""
    core = get_oauthlib_core()
    uri, http_method, body, headers = core._extract_params(request)
    oauth_request = OauthlibRequest(uri, http_method, body, headers)
    if not core.server.request_validator.authenticate_client(oauth_request):
        return False
    return oauth_request.client.client_type == Application.CLIENT_CONFIDENTIAL


@method_decorator(csrf_exempt, name="dispatch")
@form_posts_only
class IntrospectView(View):
    """POST /api/v1/oauth/provider/introspect (RFC 7662): confidential clients, by their credentials."""

    def post(self, request, *args, **kwargs):
        if not _confidential_client_authenticated(request):
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
            return response
        raw = request.POST.get("token", "")
        if not raw:
            return JsonResponse({"error": "invalid_request", "error_description": "The token parameter is missing."},
                                status=400)  # fmt: skip
        response = JsonResponse(_token_active_answer(raw))
        response["Cache-Control"] = "no-store"
        return response


# --- Dynamic client registration (RFC 7591) ------------------------------------------------------


class RegistrationRequestSerializer(serializers.Serializer):
    """What a public client may register, stated so that the schema says it too (RFC 7591 metadata)."""

    redirect_uris = BoundedListField(child=StrictCharField(max_length=2000), min_length=1, max_length=10)
    client_name = StrictCharField(max_length=255, required=False, allow_blank=True)
    token_endpoint_auth_method = serializers.ChoiceField(choices=["none"], required=False)
    grant_types = BoundedListField(
        child=serializers.ChoiceField(choices=["authorization_code", "refresh_token"]), required=False
    )
    response_types = BoundedListField(child=serializers.ChoiceField(choices=["code"]), required=False)
    scope = StrictCharField(required=False, allow_blank=True)


RegistrationResponseSerializer = inline_serializer(
    "OAuthClientRegistration",
    {
        "client_id": StrictCharField(),
        "client_id_issued_at": serializers.IntegerField(),
        "client_name": StrictCharField(),
        "redirect_uris": BoundedListField(child=StrictCharField()),
        "grant_types": BoundedListField(child=StrictCharField()),
        "response_types": BoundedListField(child=StrictCharField()),
        "token_endpoint_auth_method": StrictCharField(),
    },
)


def _registration_error(error: str, description: str) -> Response:
    return Response({"error": error, "error_description": description}, status=status.HTTP_400_BAD_REQUEST)


def _registration_metadata_problem(data: dict) -> Response | None:
    method = data.get("token_endpoint_auth_method", "none")
    if method != "none":
        return _registration_error(
            "invalid_client_metadata", "Only public clients register here: token_endpoint_auth_method must be none."
        )
    if not set(data.get("grant_types") or ["authorization_code"]) <= {"authorization_code", "refresh_token"}:
        return _registration_error("invalid_client_metadata", "Only authorization_code and refresh_token.")
    if not set(data.get("response_types") or ["code"]) <= {"code"}:
        return _registration_error("invalid_client_metadata", "Only the code response type.")
    return None


class RegistrationView(PublicAPIView):
    rate_limit_class = "auth"

    @extend_schema(
        request=RegistrationRequestSerializer,
        responses={
            201: RegistrationResponseSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="RFC 7591's error object, `{error, error_description}`: `invalid_redirect_uri` or "
                "`invalid_client_metadata`; a body that is not JSON answers the API's error envelope instead.",
            ),
            404: OpenApiResponse(description="Registration is switched off (OAUTH_DYNAMIC_REGISTRATION)."),
            429: OpenApiResponse(description="Too many registrations from this address."),
        },
        tags=["oauth"],
        summary="Register a public OAuth client (RFC 7591)",
        description="For programs such as MCP clients: no secret is issued (token_endpoint_auth_method "
        "`none`); they prove themselves with PKCE. Redirect URIs are https, or http on a loopback address.",
    )
    def post(self, request, *args, **kwargs):
        if not settings.OAUTH_DYNAMIC_REGISTRATION:
            return api_not_found(request)
        enforce_ip_rate_limit(request, "oauth_register_ip")
        data = RegistrationRequestSerializer(data=request.data)
        if not data.is_valid():
            field, problems = next(iter(data.errors.items()))
            code = "invalid_redirect_uri" if field == "redirect_uris" else "invalid_client_metadata"
            return _registration_error(code, f"{field}: {problems[0] if isinstance(problems, list) else problems}")
        problem = _registration_metadata_problem(data.validated_data)
        if problem is not None:
            return problem
        try:
            application = services.application_register_public(
                client_name=data.validated_data.get("client_name", ""),
                redirect_uris=data.validated_data["redirect_uris"],
                request=request,
            )
        except ValidationError as exc:
            return _registration_error("invalid_redirect_uri", " ".join(exc.messages))
        body = {
            "client_id": application.client_id,
            "client_id_issued_at": calendar.timegm(application.created.utctimetuple()),
            "client_name": application.name,
            "redirect_uris": application.redirect_uris.split(),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})
