"""``/mcp`` served for real on loopback (pytest-django's ``live_server``: Django's WSGI server in a
thread), reached by the official MCP client over HTTP and by the MCP Inspector's CLI (Node.js).
The ``mcp`` tier (tests/conftest.py)."""

import anyio
import httpx2
import pytest

from devtools.mcp_inspector import inspector_cli
from tasks_app.models import Task
from tests.mcp_server.clients import error_codes, mcp_session, structured


@pytest.fixture
def url(live_server):
    return f"{live_server.url}/mcp"


def test_the_official_client_over_http(url, org, bearer):
    member, viewer = bearer(org.users["member"]), bearer(org.users["viewer"])
    organization = str(org.organization.pk)

    async def scenario():
        async with mcp_session(url, authorization=member) as session:
            tools = {tool.name for tool in (await session.list_tools()).tools}
            created = await session.call_tool("create_task", {"organization": organization, "title": "Live"})
            task_id = structured(created)["id"]
            await session.call_tool("comment_on_task", {"task_id": task_id, "body": "From the assistant"})
            detail = await session.call_tool("get_task", {"task_id": task_id})
            resource = await session.read_resource(f"task://{task_id}")
        async with mcp_session(url, authorization=viewer) as session:
            refused = await session.call_tool("create_task", {"organization": organization, "title": "No"})
        return tools, structured(detail), resource, refused

    tools, detail, resource, refused = anyio.run(scenario)
    assert "create_task" in tools
    assert [comment["body"] for comment in detail["comments"]] == ["From the assistant"]
    assert '"Live"' in resource.contents[0].text
    assert error_codes(refused) == ["permission_denied"]
    assert list(Task.objects.values_list("title", flat=True)) == ["Live"]


def test_discovery_from_the_401(live_server, url):
    async def scenario():
        async with httpx2.AsyncClient() as http:
            response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            challenge = response.headers["WWW-Authenticate"]
            metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
            return response.status_code, metadata_url, (await http.get(metadata_url)).json()

    status, metadata_url, document = anyio.run(scenario)
    assert status == 401
    assert metadata_url == f"{live_server.url}/.well-known/oauth-protected-resource/mcp"
    assert document["resource"] == url
    assert document["authorization_servers"] == [live_server.url]


def test_the_mcp_inspector_cli(url, org, bearer):
    authorization = bearer(org.users["member"])
    tools = inspector_cli(url, "--method", "tools/list", authorization=authorization)
    assert "list_organizations" in {tool["name"] for tool in tools["tools"]}
    result = inspector_cli(
        url, "--method", "tools/call", "--tool-name", "list_organizations", authorization=authorization
    )
    assert not result.get("isError")
    assert result["structuredContent"]["data"][0]["id"] == str(org.organization.pk)
