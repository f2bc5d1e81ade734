"""``/mcp`` as an MCP client meets it: the handshake, the tool list, the 401 that starts OAuth
discovery, the protected resource metadata, and what a stateless endpoint refuses."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from config.credentials import SCOPES
from mcp_server import metadata
from tests.mcp_server.clients import DjangoTransport, mcp_session, run

pytestmark = pytest.mark.django_db

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
ACCEPT = "application/json, text/event-stream"
METADATA_URL = "http://testserver/.well-known/oauth-protected-resource/mcp"


def post(body, **headers):
    return Client().post(
        "/mcp", json.dumps(body), content_type="application/json", headers={"Accept": ACCEPT, **headers}
    )


def test_initialize_and_list_tools_with_the_official_client(org, bearer):
    authorization = bearer(org.users["viewer"])

    async def scenario():
        async with mcp_session(authorization=authorization, transport=DjangoTransport()) as session:
            return await session.list_tools()

    tools = run(scenario)
    by_name = {tool.name: tool for tool in tools.tools}
    assert set(by_name) == {
        "list_organizations",
        "list_tasks",
        "search_tasks",
        "get_task",
        "create_task",
        "update_task",
        "comment_on_task",
        "my_assigned_tasks",
        "my_mentioned_tasks",
        "list_notifications",
        "get_organization_report",
    }
    for tool in tools.tools:
        assert tool.description, tool.name
        assert "\n    " not in tool.description  # docstrings dedented
        assert tool.title, tool.name
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), (tool.name, name)
    assert by_name["create_task"].input_schema["required"] == ["organization", "title"]
    assert by_name["get_task"].annotations.read_only_hint is True
    assert by_name["create_task"].annotations.read_only_hint is False


def test_initialize_answers_json_with_the_server_and_its_capabilities(org, bearer):
    response = post(INITIALIZE, Authorization=bearer(org.users["viewer"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "Mcp-Session-Id" not in response  # stateless: no session is kept
    result = response.json()["result"]
    assert result["serverInfo"]["name"] == "team-workspace"
    assert {"tools", "resources"} <= set(result["capabilities"])
    assert "list_organizations" in result["instructions"]


def test_without_a_token_401_names_the_protected_resource_metadata():
    response = post(INITIALIZE)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'Bearer realm="mcp", resource_metadata="{METADATA_URL}"'
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_a_bad_token_is_401_invalid_token_with_the_metadata():
    response = post(INITIALIZE, Authorization="Bearer not-a-token")
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert f'resource_metadata="{METADATA_URL}"' in challenge
    assert 'error="invalid_token"' in challenge


def test_a_signed_out_session_is_refused_on_the_next_call(org, client_for):
    client = client_for(org.users["member"])
    authorization = f"Bearer {client.tokens['access']}"
    assert post(INITIALIZE, Authorization=authorization).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code in (200, 204)
    assert post(INITIALIZE, Authorization=authorization).status_code == 401


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_protected_resource_metadata(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert response.json() == {
        "resource": "http://testserver/mcp",
        "authorization_servers": ["http://testserver"],
        "scopes_supported": ["tasks:read", "tasks:write", "comments:write", "reports:read"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Team Workspace MCP server",
    }
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_advertised_scopes_are_those_the_tools_check():
    """An MCP client asks for ``scopes_supported``: every scope a tool or resource needs, and no other
    (org:admin and the rest would be granted to every assistant for nothing)."""
    sources = "".join(path.read_text() for path in Path(metadata.__file__).parent.glob("*.py"))
    checked = set(re.findall(r'require_scope\(request, "([^"]+)"\)', sources))
    assert checked == set(metadata.MCP_SCOPES)
    assert checked < set(SCOPES)


def test_metadata_uses_site_url_and_the_oauth_issuer_when_set(settings):
    settings.SITE_URL = "https://work.example.com"
    settings.OAUTH_ISSUER = "https://auth.example.com/"
    document = Client().get("/.well-known/oauth-protected-resource/mcp").json()
    assert document["resource"] == "https://work.example.com/mcp"
    assert document["authorization_servers"] == ["https://auth.example.com"]
    challenge = post(INITIALIZE)["WWW-Authenticate"]
    assert 'resource_metadata="https://work.example.com/.well-known/oauth-protected-resource/mcp"' in challenge


@pytest.mark.parametrize("method", ["get", "delete"])
def test_stateless_endpoint_holds_no_stream_and_no_session(org, bearer, method):
    response = getattr(Client(), method)(
        "/mcp", headers={"Authorization": bearer(org.users["viewer"]), "Accept": ACCEPT}
    )
    assert response.status_code == 405
    assert "POST" in response["Allow"]


def test_a_foreign_browser_origin_is_refused(org, bearer):
    response = post(INITIALIZE, Authorization=bearer(org.users["viewer"]), Origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "origin_not_allowed"
    assert post(INITIALIZE, Authorization=bearer(org.users["viewer"]), Origin="http://testserver").status_code == 200


def test_malformed_json_rpc_is_a_protocol_error_not_a_500(org, bearer):
    response = Client().post(
        "/mcp",
        "{not json",
        content_type="application/json",
        headers={"Accept": ACCEPT, "Authorization": bearer(org.users["viewer"])},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700  # JSON-RPC parse error


def test_an_unknown_tool_is_an_error_result(org, bearer, mcp):
    result = mcp(bearer(org.users["viewer"])).call_tool("drop_database", {})
    assert result.is_error
