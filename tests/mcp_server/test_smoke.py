from tests.mcp_server.clients import DjangoTransport, mcp_session, run, structured


def test_smoke(client_for, org):
    client = client_for(org.users["member"])

    async def scenario():
        async with mcp_session(authorization=f"Bearer {client.tokens['access']}", transport=DjangoTransport()) as s:
            tools = await s.list_tools()
            result = await s.call_tool("list_organizations", {})
            return tools, result

    tools, result = run(scenario)
    print([t.name for t in tools.tools])
    print(structured(result))
