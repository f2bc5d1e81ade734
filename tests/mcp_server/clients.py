"""MCP clients for the tests: the official SDK's ``ClientSession`` over its Streamable HTTP transport.

``mcp_session(url, ...)`` opens an initialized session against any ``/mcp`` URL, authorized by an
``Authorization`` header or an ``httpx2.Auth`` (the SDK's OAuth client provider is one), through any
HTTP transport: a live server's socket (the slow tier), or ``DjangoTransport``, which hands each
request to Django's test client in the test's own thread and database transaction (the fast tier).
Tests are plain functions that run their scenario with ``run(...)`` (asgiref's ``async_to_sync``),
so the view's database work stays on the test's connection.
"""

import json
from contextlib import asynccontextmanager

import httpx2
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

TEST_URL = "http://testserver/mcp"


class DjangoTransport(httpx2.AsyncBaseTransport):
    """An httpx2 transport that answers through Django's test client (no socket, no thread of its own)."""

    def __init__(self):
        self.client = Client()

    def _send(self, method, path, headers, body):
        headers = {name: value for name, value in headers.items() if name.lower() not in ("host", "content-length")}
        content_type = headers.pop("content-type", "application/octet-stream")
        return self.client.generic(method, path, data=body, content_type=content_type, headers=headers)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        path = request.url.raw_path.decode("ascii")
        response = await sync_to_async(self._send, thread_sensitive=True)(
            request.method, path, dict(request.headers), body
        )
        return httpx2.Response(response.status_code, headers=list(response.items()), content=response.content)


@asynccontextmanager
async def mcp_session(url=TEST_URL, *, authorization=None, auth=None, transport=None):
    """An initialized ``ClientSession`` to ``url``, sending ``Authorization: <authorization>`` or using ``auth``."""
    headers = {"Authorization": authorization} if authorization else {}
    async with (
        httpx2.AsyncClient(headers=headers, auth=auth, transport=transport, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(scenario, *args, **kwargs):
    """Run an async scenario from a sync test, its Django calls in the test's thread."""
    return async_to_sync(scenario)(*args, **kwargs)


def structured(result) -> dict:
    """A tool result's data (structured content, which the text content repeats as JSON)."""
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def error_codes(result) -> list[str]:
    assert result.is_error, result
    return [entry["code"] for entry in structured(result)["errors"]]
