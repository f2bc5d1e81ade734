"""Connecting an AI assistant with nothing but ``/mcp``'s URL, end to end: the official MCP client
(the SDK's ``OAuthClientProvider``) against the app served for real (``live_server``), and the
person's browser (``requests``) signing in and consenting. The ``mcp`` tier (tests/conftest.py).

The client does everything else by itself: the 401's ``resource_metadata``, the protected resource
metadata (RFC 9728), the authorization server's metadata (RFC 8414), dynamic registration
(RFC 7591), the authorization request with PKCE S256 and ``resource`` (RFC 8707), the code for
tokens, the refresh when the access token has expired; then a revoked grant ends it.
"""

import base64
import html
import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import pytest
import requests
from asgiref.sync import sync_to_async
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from audit.models import AuditEvent
from config.credentials import SCOPES
from mcp_server.metadata import MCP_SCOPES
from mcp_server.tools import TOOLS
from oauth_server import views as oauth_views
from oauth_server.models import AccessToken, Application, OAuthGrant, RefreshToken
from oauth_server.tokens import token_checksum
from tasks_app import services as task_services
from tasks_app.models import Task
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, TaskFactory
from tests.mcp_server.clients import error_codes, mcp_session, run, structured

REDIRECT_URI = "http://127.0.0.1:33418/callback"  # the client's loopback listener (RFC 8252); never reached here
PING = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
ACCEPT = {"Accept": "application/json, text/event-stream"}


class MemoryStorage(TokenStorage):
    """The client's token store, in memory; remembers every token it was given."""

    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self.history: list[OAuthToken] = []

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens
        self.history.append(tokens)

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class _Form(HTMLParser):
    """The fields a browser would submit from a page's form (unticked checkboxes left out)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "input" or "name" not in attrs or (attrs.get("type") == "checkbox" and "checked" not in attrs):
            return
        self.fields.setdefault(attrs["name"], []).append(attrs.get("value") or "")


def form_fields(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


class PersonAway(Exception):
    """The client sent the person to the authorization server again, and nobody is there to consent."""


class Browser:
    """The person's browser, which the client's ``redirect_handler`` opens: follows the authorization
    URL, signs in on the sign-in page, approves on the consent page and stops at the redirect back to
    the client (read, not followed), whose code and state the ``callback_handler`` hands over."""

    def __init__(self, user, *, organizations=None, scope=None):
        self.http = requests.Session()
        self.user = user
        self.organizations = organizations
        self.scope = scope  # fewer scopes than asked: the consent form's scope field, as the person approves
        self.present = True
        self.asked: list[str] = []  # every authorization URL the client opened
        self.consent_pages: list[str] = []
        self.redirect: str | None = None

    def _go(self, response):
        while response.is_redirect and not response.headers["Location"].startswith(REDIRECT_URI):
            response = self.http.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False)
        return response

    def _authorize(self, url: str) -> str:
        page = self._go(self.http.get(url, allow_redirects=False))
        if "/oauth/provider/login" in page.url:
            fields = {name: values[0] for name, values in form_fields(page.text).items()}
            fields.update(identifier=self.user.email, password=DEFAULT_PASSWORD)
            page = self._go(self.http.post(page.url, data=fields, allow_redirects=False))
        assert page.status_code == 200, page.text[:800]
        self.consent_pages.append(html.unescape(page.text))
        fields = form_fields(page.text)
        if self.organizations is not None:
            fields["organizations"] = [str(pk) for pk in self.organizations]
        if self.scope is not None:
            fields["scope"] = [self.scope]
        fields["allow"] = ["Authorize"]
        answer = self.http.post(page.url, data=fields, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:800]
        return answer.headers["Location"]

    async def redirect_handler(self, url: str) -> None:
        self.asked.append(url)
        if not self.present:
            raise PersonAway(url)
        self.redirect = await anyio.to_thread.run_sync(self._authorize, url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.redirect.startswith(f"{REDIRECT_URI}?"), self.redirect
        query = {name: values[0] for name, values in parse_qs(urlsplit(self.redirect).query).items()}
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


@pytest.fixture
def url(live_server):
    return f"{live_server.url}/mcp"


def oauth_client(url, storage, browser) -> OAuthClientProvider:
    """The SDK's OAuth client, as an MCP host configures it: a loopback redirect URI and nothing else."""
    metadata = OAuthClientMetadata(
        client_name="E2E assistant",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        url, metadata, storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler
    )


ACCESS_TOKEN_SECONDS = 4


@pytest.fixture
def short_lived_access_tokens(settings):
    """The authorization server's access tokens live ACCESS_TOKEN_SECONDS until ``restore()``.

    django-oauth-toolkit builds oauthlib's server once per view class and keeps it (its
    ``expires_in``), unless ALWAYS_RELOAD_OAUTHLIB_CORE: set here, and the kept ones dropped after."""
    original = settings.OAUTH2_PROVIDER
    settings.OAUTH2_PROVIDER = {**original, "ACCESS_TOKEN_EXPIRE_SECONDS": ACCESS_TOKEN_SECONDS,
                                "ALWAYS_RELOAD_OAUTHLIB_CORE": True}  # fmt: skip

    def restore():
        settings.OAUTH2_PROVIDER = {**original, "ALWAYS_RELOAD_OAUTHLIB_CORE": True}

    yield restore
    for view in (oauth_views.AuthorizationView, oauth_views.TokenView, oauth_views.RevokeTokenView):
        if "_oauthlib_core" in view.__dict__:
            delattr(view, "_oauthlib_core")


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def http(method: str, url: str, **kwargs) -> requests.Response:
    return requests.request(method, url, timeout=30, **kwargs)


def mcp_ping(url: str, access_token: str) -> requests.Response:
    """A bare ``tools/list`` with this access token, outside the SDK."""
    return http("POST", url, json=PING, headers={"Authorization": f"Bearer {access_token}", **ACCEPT})


async def call_every_tool(session, organization: str) -> tuple[dict, str]:
    """Each tool once, as an assistant would go about a task; answers the results by tool, and the new task's id."""
    call = session.call_tool
    results = {"list_organizations": await call("list_organizations", {})}
    results["create_task"] = await call("create_task", {"organization": organization, "title": "Draft the agenda"})
    task_id = structured(results["create_task"])["id"]
    results["update_task"] = await call("update_task", {"task_id": task_id, "priority": "high"})
    results["comment_on_task"] = await call("comment_on_task", {"task_id": task_id, "body": "On it"})
    results["get_task"] = await call("get_task", {"task_id": task_id})
    results["list_tasks"] = await call("list_tasks", {"organization": organization, "priority": "high"})
    results["search_tasks"] = await call("search_tasks", {"search": "agenda"})
    results["my_assigned_tasks"] = await call("my_assigned_tasks", {})
    results["my_mentioned_tasks"] = await call("my_mentioned_tasks", {})
    results["list_notifications"] = await call("list_notifications", {})
    results["get_organization_report"] = await call("get_organization_report", {"organization": organization})
    return results, task_id


def check_connection(url, seen, storage, browser, org):
    """Discovery, registration, the authorization request, the consent, the first token."""
    member = org.users["member"]
    application = Application.objects.get()  # the client registered itself, a public client with its loopback URI
    assert (application.name, application.client_type) == ("E2E assistant", Application.CLIENT_PUBLIC)
    assert application.redirect_uris == REDIRECT_URI
    assert storage.client_info.client_id == application.client_id
    # The authorization request: PKCE S256, the resource (RFC 8707), the scopes the MCP endpoint advertises.
    request = {name: values[0] for name, values in parse_qs(urlsplit(browser.asked[0]).query).items()}
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43
    assert request["resource"] == url
    assert request["scope"].split() == list(MCP_SCOPES)
    # The consent page the person answered: the client, the scopes in words, the organization.
    (consent,) = browser.consent_pages
    assert "Authorize E2E assistant" in consent
    assert "Acme" in consent
    assert all(SCOPES[scope] in consent for scope in MCP_SCOPES)
    grant = OAuthGrant.objects.get(user=member)
    assert set(grant.scopes) == set(MCP_SCOPES)
    assert list(grant.organizations.all()) == [org.organization]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OAUTH_CONSENT_GRANTED, user=member).count() == 1
    # The access token is a JWT for the MCP endpoint (its audience), acting for the person.
    first = seen["first_token"]
    assert claims(first.access_token)["aud"] == [url]
    assert claims(first.access_token)["sub"] == str(member.pk)
    assert first.expires_in == ACCESS_TOKEN_SECONDS
    assert seen["tools"] == {tool.__name__ for tool in TOOLS}


def check_refresh(url, seen, storage, browser):
    """One refresh_token grant, by the client alone; both tokens rotated on the server."""
    first, refreshed = seen["first_token"], seen["refreshed"]
    assert storage.history == [first, refreshed]
    assert refreshed.access_token != first.access_token
    assert refreshed.refresh_token != first.refresh_token
    assert claims(refreshed.access_token)["aud"] == [url]
    assert seen["rotation"] == {"rows": 2, "old_revoked": True, "new_live": True, "same_grant": True, "old_access": 401}
    assert len(browser.asked) == 2  # once to connect, once after the revocation: never for the refresh


def check_every_tool(seen, org, waiting):
    results, task_id, organization = seen["results"], seen["task_id"], str(org.organization.pk)
    assert set(results) == seen["tools"]
    data = {name: structured(result) for name, result in results.items()}
    assert not any(result.is_error for result in results.values()), data
    ids = lambda page: [item["id"] for item in page["data"]]  # noqa: E731
    assert ids(data["list_organizations"]) == [organization]
    assert data["create_task"]["title"] == "Draft the agenda"
    assert data["create_task"]["created_by"]["id"] == str(org.users["member"].pk)
    assert data["update_task"]["priority"] == "high"
    assert data["comment_on_task"]["body"] == "On it"
    assert [comment["body"] for comment in data["get_task"]["comments"]] == ["On it"]
    assert [entry["verb"] for entry in data["get_task"]["activity"]] == ["created", "updated", "commented"]
    assert ids(data["list_tasks"]) == ids(data["search_tasks"]) == [task_id]
    assert ids(data["my_assigned_tasks"]) == ids(data["my_mentioned_tasks"]) == [str(waiting.pk)]
    notifications = {(item["kind"], item["target_id"]) for item in data["list_notifications"]["data"]}
    assert notifications == {("assigned", str(waiting.pk)), ("mentioned", str(waiting.pk))}
    assert data["get_organization_report"]["totals"]["all"] == 2
    # Both resources.
    assert json.loads(seen["task"].contents[0].text)["task"]["id"] == task_id
    summary = json.loads(seen["summary"].contents[0].text)
    assert summary["organization"]["id"] == organization
    assert summary["tasks"]["total"] == 2


def check_revocation(url, seen, storage, token_url):
    """The next call failed; the client could only go back to the person, who was away; nothing works."""
    assert seen["revoked"] == 204
    assert "after" not in seen
    assert len(storage.history) == 2  # no token after the revocation
    assert not OAuthGrant.objects.filter(revoked_at__isnull=True).exists()
    assert not AccessToken.objects.exists()
    refreshed = seen["refreshed"]
    last = mcp_ping(url, refreshed.access_token)
    assert last.status_code == 401
    assert 'error="invalid_token"' in last.headers["WWW-Authenticate"]
    data = {"grant_type": "refresh_token", "refresh_token": refreshed.refresh_token, "resource": url,
            "client_id": storage.client_info.client_id}  # fmt: skip
    refresh = http("POST", token_url, data=data)
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"


def test_an_assistant_connects_with_nothing_but_the_url(url, live_server, org, client_for, short_lived_access_tokens):
    """Discovery, registration, PKCE authorization with consent, every tool and both resources, the
    refresh of an expired access token, and a revoked grant failing on the next call."""
    member = org.users["member"]
    organization = str(org.organization.pk)
    waiting = task_services.task_create(organization=org.organization, created_by=org.users["admin"],
                                        title="Review the budget", assignee=member, mentions=[member])  # fmt: skip
    storage, browser = MemoryStorage(), Browser(member)
    person = {"Authorization": f"Bearer {client_for(member).tokens['access']}"}  # the person's own session
    seen = {}  # what the scenario got, up to the call the revoked grant ended

    def rotation(first, refreshed):
        """The server's side of the refresh: the first refresh token rotated out, its access token dead."""
        rows = {row.token_checksum: row for row in RefreshToken.objects.all()}
        old, new = rows[token_checksum(first.refresh_token)], rows[token_checksum(refreshed.refresh_token)]
        return {"rows": len(rows), "old_revoked": old.revoked is not None, "new_live": new.revoked is None,
                "same_grant": old.oauth_grant_id == new.oauth_grant_id,
                "old_access": mcp_ping(url, first.access_token).status_code}  # fmt: skip

    def revoke():
        """The person revokes the assistant in their web app (the REST API, with their session JWT)."""
        (grant,) = http("GET", f"{live_server.url}/api/v1/users/me/authorizations", headers=person).json()["data"]
        assert grant["application"]["client_id"] == storage.client_info.client_id
        return http("DELETE", f"{live_server.url}/api/v1/users/me/authorizations/{grant['id']}", headers=person)

    async def scenario():
        async with mcp_session(url, auth=oauth_client(url, storage, browser)) as session:
            # Connected: the SDK met the 401, discovered, registered, sent the person to consent, got tokens.
            seen["tools"] = {tool.name for tool in (await session.list_tools()).tools}
            seen["first_token"] = storage.tokens
            # The access token expires; the next call refreshes it first, with no person involved.
            await sync_to_async(short_lived_access_tokens)()
            await anyio.sleep(ACCESS_TOKEN_SECONDS + 1)
            seen["results"], seen["task_id"] = await call_every_tool(session, organization)
            seen["refreshed"] = storage.history[1] if len(storage.history) > 1 else None
            seen["rotation"] = await sync_to_async(rotation)(seen["first_token"], seen["refreshed"])
            seen["task"] = await session.read_resource(f"task://{seen['task_id']}")
            seen["summary"] = await session.read_resource(f"organization://{organization}/summary")
            seen["revoked"] = (await anyio.to_thread.run_sync(revoke)).status_code
            browser.present = False
            seen["after"] = await session.call_tool("list_tasks", {})  # never answered

    with pytest.raises(BaseExceptionGroup) as failure:
        run(scenario)
    assert failure.group_contains(PersonAway), failure.value  # the SDK went back to the person: no silent token
    check_connection(url, seen, storage, browser, org)
    check_refresh(url, seen, storage, browser)
    check_every_tool(seen, org, waiting)
    check_revocation(url, seen, storage, token_url=f"{live_server.url}/api/v1/oauth/provider/token")


def test_the_person_grants_less_than_the_assistant_asks(url, org):
    """The person approves reading tasks in one of their two organizations: the tools outside that scope
    answer insufficient_scope, and the other organization does not exist for the assistant."""
    member = org.users["member"]
    other = OrganizationFactory(name="Globex")
    MembershipFactory(organization=other, user=member)
    TaskFactory(organization=other, created_by=member, title="Elsewhere")
    here = TaskFactory(organization=org.organization, created_by=member, title="Here")
    storage = MemoryStorage()
    browser = Browser(member, scope="tasks:read", organizations=[org.organization.pk])
    organization = str(org.organization.pk)

    async def scenario():
        async with mcp_session(url, auth=oauth_client(url, storage, browser)) as session:
            return {
                "list_organizations": await session.call_tool("list_organizations", {}),
                "list_tasks": await session.call_tool("list_tasks", {}),
                "create_task": await session.call_tool("create_task", {"organization": organization, "title": "No"}),
                "comment_on_task": await session.call_tool("comment_on_task", {"task_id": str(here.pk), "body": "No"}),
                "get_organization_report": await session.call_tool(
                    "get_organization_report", {"organization": organization}
                ),
                "other_organization": await session.call_tool("list_tasks", {"organization": str(other.pk)}),
            }

    results = run(scenario)
    (consent,) = browser.consent_pages
    assert "Acme" in consent  # offered both; the person ticked one
    assert "Globex" in consent
    assert storage.tokens.scope == "tasks:read"
    assert [item["id"] for item in structured(results["list_organizations"])["data"]] == [organization]
    assert [item["title"] for item in structured(results["list_tasks"])["data"]] == ["Here"]
    for name in ("create_task", "comment_on_task", "get_organization_report"):
        assert error_codes(results[name]) == ["insufficient_scope"], name
    assert error_codes(results["other_organization"]) == ["not_found"]
    assert not Task.objects.filter(title="No").exists()
