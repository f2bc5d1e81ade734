"""Metadata, revocation, introspection, client credentials, registration, and the sign-in page."""

import base64
import json

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from audit.models import AuditEvent
from oauth_server.models import Application, OAuthGrant
from tests.factories import CLIENT_SECRET, ApplicationFactory
from tests.oauth_server.conftest import AUTHORIZE, BASE, TOKEN, Browser, DjangoClientAdapter, oauth_session

pytestmark = pytest.mark.django_db
PROVIDER = "/api/v1/oauth/provider"
ME = f"{BASE}/api/v1/users/me"


def claims_of(jwt: str) -> tuple[dict, dict]:
    header, payload, _ = jwt.split(".")
    pad = lambda part: part + "=" * (-len(part) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload)))


# --- Metadata --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"])
def test_metadata_documents(client, path):
    response = client.get(path)
    assert response.status_code == 200
    data = response.json()
    assert data["issuer"] == BASE
    assert data["authorization_endpoint"] == f"{BASE}{PROVIDER}/authorize"
    assert data["token_endpoint"] == f"{BASE}{PROVIDER}/token"
    assert data["revocation_endpoint"] == f"{BASE}{PROVIDER}/revoke"
    assert data["introspection_endpoint"] == f"{BASE}{PROVIDER}/introspect"
    assert data["registration_endpoint"] == f"{BASE}{PROVIDER}/register"
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert "tasks:write" in data["scopes_supported"]
    assert "openid" in data["scopes_supported"]
    assert "none" in data["token_endpoint_auth_methods_supported"]
    jwks = client.get(data["jwks_uri"].removeprefix(BASE)).json()
    assert jwks["keys"][0]["kty"] == "RSA"
    assert "d" not in jwks["keys"][0]


def test_metadata_follows_the_configured_issuer(client, settings):
    settings.OAUTH_DYNAMIC_REGISTRATION = False
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": "https://workspace.example.com"}
    data = client.get("/.well-known/oauth-authorization-server").json()
    assert data["issuer"] == "https://workspace.example.com"
    assert data["token_endpoint"] == "https://workspace.example.com/api/v1/oauth/provider/token"
    assert "registration_endpoint" not in data


# --- Access tokens ----------------------------------------------------------------------------------


def test_access_token_is_an_rfc9068_jwt(authorized, org, public_client):
    session = authorized()
    header, claims = claims_of(session.token["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    assert header["kid"]
    assert claims["iss"] == BASE
    assert claims["aud"] == [BASE]
    assert claims["sub"] == str(org.member.pk)
    assert claims["client_id"] == public_client.client_id
    assert set(claims["scope"].split()) == {"profile", "tasks:read"}
    assert claims["exp"] > claims["iat"]
    assert claims["jti"]


def test_credential_carries_scopes_and_organizations(authorized, org, rf):
    from oauth_server.authentication import OAuthAccessTokenAuthentication

    session = authorized(scope="openid profile tasks:read")
    request = rf.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {session.token['access_token']}")
    user, credential = OAuthAccessTokenAuthentication().authenticate(request)
    assert user == org.member
    assert credential.scopes == frozenset({"profile", "tasks:read"})  # openid is no API scope
    assert credential.organization_ids == frozenset({org.organization.pk})


def test_a_tampered_or_foreign_token_is_refused(authorized):
    session = authorized()
    header, _payload, signature = session.token["access_token"].split(".")
    _, claims = claims_of(session.token["access_token"])
    claims["scope"] = "org:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    session.token = {**session.token, "access_token": f"{header}.{forged}.{signature}"}
    response = session.get(ME)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoking_the_grant_ends_its_tokens_at_once(authorized, org):
    session = authorized()
    assert session.get(ME).status_code == 200
    grant = OAuthGrant.objects.get(user=org.member)
    person = BrowserAPI(org.member)
    listed = person.get("/api/v1/users/me/authorizations").json()["data"]
    assert [g["id"] for g in listed] == [str(grant.pk)]
    assert listed[0]["application"]["name"]
    assert listed[0]["organizations"][0]["name"] == "Alpha"
    assert person.delete(f"/api/v1/users/me/authorizations/{grant.pk}").status_code == 204
    response = session.get(ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "invalid_token"
    with pytest.raises(OAuthError):  # Authlib's OAuthError: the refresh token ended too
        session.refresh_token(TOKEN)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OAUTH_GRANT_REVOKED, user=org.member).exists()


def test_a_deactivated_person_token_stops(authorized, org):
    session = authorized()
    org.member.is_active = False
    org.member.save()
    assert session.get(ME).status_code == 401


def test_organization_admin_takes_their_organization_out(authorized, org, client_for):
    session = authorized()
    grant = OAuthGrant.objects.get(user=org.member)
    admin = client_for(org.admin)
    url = f"/api/v1/organizations/{org.organization.pk}/authorizations"
    listed = admin.get(url).json()["data"]
    assert [g["id"] for g in listed] == [str(grant.pk)]
    assert listed[0]["user"]["username"] == org.member.username
    assert client_for(org.member).get(url).status_code == 403
    assert admin.delete(f"{url}/{grant.pk}").status_code == 204
    grant.refresh_from_db()
    assert grant.revoked_at is not None  # it covered only this organization
    assert session.get(ME).status_code == 401


class BrowserAPI:
    """The person's own API calls, with their session JWT."""

    def __init__(self, user):
        from rest_framework.test import APIClient

        from sessions_app.services import session_create

        _, tokens = session_create(user=user)
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    def get(self, path):
        return self.client.get(path)

    def delete(self, path):
        return self.client.delete(path)


# --- Revocation (RFC 7009) and introspection (RFC 7662) ------------------------------------------------


def test_revoke_an_access_token_and_a_refresh_token(authorized):
    session = authorized()
    token = dict(session.token)
    response = session.revoke_token(f"{BASE}{PROVIDER}/revoke", token["access_token"], "access_token")
    assert response.status_code == 200
    assert session.get(ME).status_code == 401
    response = session.revoke_token(f"{BASE}{PROVIDER}/revoke", token["refresh_token"], "refresh_token")
    assert response.status_code == 200
    with pytest.raises(OAuthError):  # Authlib's OAuthError (invalid_grant)
        session.refresh_token(TOKEN)


@pytest.fixture
def resource_server(db):
    """A confidential client that introspects tokens (a resource server)."""
    app = ApplicationFactory(client_credentials=True)
    session = OAuth2Session(app.client_id, CLIENT_SECRET)
    session.mount(BASE, DjangoClientAdapter())
    return session


def test_introspection_for_confidential_clients(authorized, resource_server, org):
    session = authorized()
    url = f"{BASE}{PROVIDER}/introspect"
    answer = resource_server.introspect_token(url, session.token["access_token"]).json()
    assert answer["active"] is True
    assert answer["sub"] == str(org.member.pk)
    assert set(answer["scope"].split()) == {"profile", "tasks:read"}
    refresh = resource_server.introspect_token(url, session.token["refresh_token"]).json()
    assert refresh["active"] is True
    assert refresh["token_type"] == "refresh_token"
    assert resource_server.introspect_token(url, "nonsense").json() == {"active": False}
    OAuthGrant.objects.get(user=org.member).revoked_at = None
    from oauth_server.services import oauth_grant_revoke

    oauth_grant_revoke(grant=OAuthGrant.objects.get(user=org.member))
    assert resource_server.introspect_token(url, session.token["access_token"]).json() == {"active": False}


def test_introspection_refuses_public_and_unauthenticated_clients(authorized, public_client):
    session = authorized()
    url = f"{BASE}{PROVIDER}/introspect"
    anonymous = oauth_session(public_client.client_id)
    response = anonymous.post(
        url, data={"token": session.token["access_token"], "client_id": public_client.client_id}, withhold_token=True
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    response = anonymous.post(url, data={"token": session.token["access_token"]}, withhold_token=True,
                              auth=(public_client.client_id, "not-the-secret"))  # fmt: skip
    assert response.status_code == 401
    # A public client shows no secret worth anything: even its stored one does not open introspection.
    public = anonymous.post(
        url, data={"token": session.token["access_token"]}, withhold_token=True,
        auth=(public_client.client_id, CLIENT_SECRET),
    )  # fmt: skip
    assert public.status_code == 401


# --- Client credentials ------------------------------------------------------------------------------


def test_client_credentials_for_confidential_clients_only(resource_server, public_client):
    token = resource_server.fetch_token(TOKEN, grant_type="client_credentials", scope="profile")
    assert token["access_token"]
    assert "refresh_token" not in token
    _, claims = claims_of(token["access_token"])
    assert claims["sub"] == resource_server.client_id
    # It acts for no person: the REST API refuses it.
    assert resource_server.get(ME).status_code == 401
    public = OAuth2Session(public_client.client_id, CLIENT_SECRET)
    public.mount(BASE, DjangoClientAdapter())
    with pytest.raises(OAuthError):  # Authlib's OAuthError
        public.fetch_token(TOKEN, grant_type="client_credentials")


# --- Dynamic client registration (RFC 7591) -----------------------------------------------------------


def register(client, body):
    return client.post(f"{PROVIDER}/register", body, content_type="application/json")


def test_register_a_public_client_then_use_it(client, org):
    response = register(client, {"client_name": "Claude", "redirect_uris": ["http://127.0.0.1:33418/callback"],
                                 "token_endpoint_auth_method": "none", "grant_types": ["authorization_code",
                                                                                      "refresh_token"]})  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body
    app = Application.objects.get(client_id=body["client_id"])
    assert app.client_type == Application.CLIENT_PUBLIC
    assert app.name == "Claude"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OAUTH_CLIENT_REGISTERED).exists()
    # Any port on the loopback address (RFC 8252).
    session = oauth_session(body["client_id"], redirect_uri="http://127.0.0.1:40001/callback")
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    location = Browser(org.member).authorize(url)
    session.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier)
    assert session.get(ME).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"redirect_uris": ["http://evil.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://app.example.com/cb"}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "client_secret_basic"},
         "invalid_client_metadata"),
        ({"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["client_credentials"]},
         "invalid_client_metadata"),
    ],
)  # fmt: skip
def test_registration_refuses_bad_metadata(client, body, error):
    response = register(client, body)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not Application.objects.exists()


def test_registration_is_rate_limited_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "oauth_register_ip": "2/h"}
    for _ in range(2):
        assert register(client, {"redirect_uris": ["https://a.example.com/cb"]}).status_code == 201
    response = register(client, {"redirect_uris": ["https://a.example.com/cb"]})
    assert response.status_code == 429
    assert response["Retry-After"]


def test_registration_can_be_switched_off(client, settings):
    settings.OAUTH_DYNAMIC_REGISTRATION = False
    assert register(client, {"redirect_uris": ["https://a.example.com/cb"]}).status_code == 404
    assert "registration_endpoint" not in client.get("/.well-known/oauth-authorization-server").json()


# --- The sign-in page -----------------------------------------------------------------------------------


def test_sign_in_page_refuses_a_wrong_password(client, org):
    response = client.post(f"{PROVIDER}/login", {"identifier": org.member.email, "password": "wrong"})
    assert response.status_code == 401
    assert b"incorrect" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_page_needs_the_csrf_token(org):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"{PROVIDER}/login", {"identifier": org.member.email, "password": "x"})
    assert response.status_code == 403


# token: invalid_grant; revoke: RFC 7009's 200 for an unknown token; introspect: a public client's invalid_client.
@pytest.mark.parametrize(("endpoint", "status"), [("token", 400), ("revoke", 200), ("introspect", 401)])
def test_protocol_endpoints_need_no_csrf_token(endpoint, status, public_client):
    """Programs post to these with no CSRF cookie (the SDK's MCP client, any OAuth library): the answer
    is the RFC's, never Django's CSRF failure page."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    data = {"grant_type": "authorization_code", "code": "nope", "token": "nope", "client_id": public_client.client_id}
    response = strict.post(f"{PROVIDER}/{endpoint}", data)
    assert response.status_code == status, response.content[:300]


def test_sign_in_page_asks_for_the_second_factor(enrol, public_client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off after the wrong code (tests/mfa does the same)
    enrolled = enrol()
    browser = Browser(enrolled.user)
    session = oauth_session(public_client.client_id)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    to_login = browser.get(url)
    password = browser.sign_in(to_login["Location"])
    assert password.status_code == 200
    assert b'name="code"' in password.content
    assert "_auth_user_id" not in browser.client.session
    from tests.oauth_server.conftest import form_fields

    fields = {k: v[0] for k, v in form_fields(password.content.decode()).items()}
    wrong = browser.client.post(to_login["Location"], {**fields, "code": "000000"})
    assert wrong.status_code == 401
    assert "_auth_user_id" not in browser.client.session
    fields = {k: v[0] for k, v in form_fields(wrong.content.decode()).items()}
    right = browser.client.post(to_login["Location"], {**fields, "code": enrolled.code()})
    assert right.status_code == 302
    assert right["Location"].startswith(f"{PROVIDER}/authorize?")
    assert browser.client.get(right["Location"]).status_code == 200


def test_sign_in_page_does_not_redirect_off_site(client, org):
    response = client.post(
        f"{PROVIDER}/login?next=https://evil.example.com/", {"identifier": org.member.email, "password": "x" * 0 +
                                                              __import__("tests.factories").factories.DEFAULT_PASSWORD}
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{PROVIDER}/signed-in"
