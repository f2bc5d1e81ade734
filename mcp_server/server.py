"""The MCP server on the official SDK, served one HTTP request at a time from a WSGI view.

``/mcp`` is stateless Streamable HTTP with JSON responses: every POST carries a whole JSON-RPC
exchange, the server keeps no session between requests, and nothing stays open after the answer.
That is what a WSGI worker (gunicorn's sync workers, see docs/operations.md) can serve: any worker
can answer any request, and none is held by a stream. ``serve`` runs the SDK's own transport,
``StreamableHTTPSessionManager(stateless=True, json_response=True)`` (the ASGI app that checks the
headers, parses JSON-RPC, negotiates the protocol version and answers), for one request, on an
event loop that ``asgiref.async_to_sync`` starts for it; the tools' database work is sent back to
the request's own thread with ``sync_to_async(thread_sensitive=True)``, so it uses the request's
database connection, as a view would.

The authenticated DRF request is the caller: the view puts it in ``current_request`` before the
exchange, and every tool and resource reads it there.
"""

import contextvars
import functools
import inspect
import json
import logging

from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult, TextContent
from rest_framework import exceptions as drf_exceptions

from config.errors import ApplicationError
from config.exceptions import (
    SERVICE_UNAVAILABLE,
    as_drf_validation_error,
    envelope,
    error_entry,
    errors_for,
    log_service_unavailable,
    server_error_entry,
)

logger = logging.getLogger("mcp_server")

current_request: contextvars.ContextVar = contextvars.ContextVar("mcp_request")

# JSON-RPC error codes of a resource read that is refused (tools answer isError results instead).
# -32602 "invalid params" is the SDK's (and SEP-2164's) code for a resource that does not exist.
RESOURCE_NOT_FOUND = INVALID_PARAMS
RESOURCE_FORBIDDEN = -32003

INSTRUCTIONS = (
    "Team Workspace: organizations, their tasks, comments, activity, notifications and reports. "
    "Start with list_organizations to learn the organization ids; every id is a UUID. "
    "You act as the person who connected you, with the scopes and organizations they granted: "
    "a refusal is an error result whose `errors[].code` says why (not_found, permission_denied, "
    "insufficient_scope, mfa_required, or a validation code with the `field` it concerns)."
)


# --- Errors --------------------------------------------------------------------------------


def error_status_and_entries(exc: Exception) -> tuple[int, list[dict]]:
    """The REST API's answer to an exception: its HTTP status and envelope entries."""
    if isinstance(exc, ApplicationError):
        entry = error_entry(exc.code, exc.message)
        return exc.status_code, [{**entry, **{k: v for k, v in exc.extra.items() if k not in entry}}]
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    if isinstance(exc, drf_exceptions.APIException):
        return exc.status_code, errors_for(exc)
    if isinstance(exc, SERVICE_UNAVAILABLE):
        log_service_unavailable(exc, current_request.get(None))
        return 503, [error_entry("service_unavailable", "A service this request needs is unavailable; try again.")]
    logger.error("Unhandled exception in an MCP call", exc_info=(type(exc), exc, exc.__traceback__))
    return 500, [server_error_entry()]


def as_json(data) -> object:
    """Plain JSON data (dates, UUIDs and decimals as the REST API writes them)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def tool_result(data) -> CallToolResult:
    data = as_json(data)
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(data, ensure_ascii=False))], structured_content=data
    )


def tool_error(exc: Exception) -> CallToolResult:
    status, entries = error_status_and_entries(exc)
    body = {**envelope(entries), "status": status}
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(body, ensure_ascii=False))],
        structured_content=body,
        is_error=True,
    )


def resource_error(exc: Exception) -> MCPError:
    status, entries = error_status_and_entries(exc)
    code = {400: INVALID_PARAMS, 404: RESOURCE_NOT_FOUND, 403: RESOURCE_FORBIDDEN}.get(status, INTERNAL_ERROR)
    return MCPError(code=code, message=entries[0]["message"], data={**envelope(entries), "status": status})


# --- Tools and resources run as the request ------------------------------------------------


def _public_signature(fn):
    """The signature an MCP client sees: the function's, less its leading ``request``."""
    signature = inspect.signature(fn)
    parameters = list(signature.parameters.values())[1:]
    return signature.replace(parameters=parameters, return_annotation=CallToolResult)


def as_tool(fn):
    """Wrap ``fn(request, **arguments) -> data`` as an MCP tool: run it in the request's thread as the
    request's caller, answer its data as JSON (text and structured content), and any refusal as an
    ``isError`` result with the REST API's error envelope; never an exception."""

    @functools.wraps(fn)
    async def tool(**arguments):
        request = current_request.get()
        try:
            data = await sync_to_async(fn, thread_sensitive=True)(request, **arguments)
        except Exception as exc:  # every failure is the model's to read, none a protocol error
            return tool_error(exc)
        return tool_result(data)

    tool.__signature__ = _public_signature(fn)
    del tool.__wrapped__  # the SDK reads the signature above, not fn's
    return tool


def as_resource(fn):
    """Wrap ``fn(request, **uri_parameters) -> data`` as a resource template read: JSON text, and a
    refusal as a JSON-RPC error whose data is the REST API's error envelope."""

    @functools.wraps(fn)
    async def resource(**parameters):
        request = current_request.get()
        try:
            data = await sync_to_async(fn, thread_sensitive=True)(request, **parameters)
        except Exception as exc:
            raise resource_error(exc) from exc
        return json.dumps(as_json(data), ensure_ascii=False)

    signature = inspect.signature(fn)
    resource.__signature__ = signature.replace(
        parameters=list(signature.parameters.values())[1:], return_annotation=str
    )
    del resource.__wrapped__
    return resource


@functools.cache
def mcp_server() -> MCPServer:
    """The MCP server with every tool and resource; built once per process, on first use (after
    Django configured logging, which the SDK's ``basicConfig`` then leaves alone)."""
    from mcp_server import resources, tools

    server = MCPServer(
        name="team-workspace",
        title="Team Workspace",
        instructions=INSTRUCTIONS,
        version="1",
        subscriptions=False,  # nothing to listen to over a stateless, WSGI-served endpoint
    )
    tools.register(server)
    resources.register(server)
    return server


# --- One HTTP exchange -----------------------------------------------------------------------


def _scope(request, body: bytes) -> dict:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in request.headers.items()
        if name.lower() != "content-length"
    ]
    headers.append((b"content-length", str(len(body)).encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode("utf-8"),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "client": (request.META.get("REMOTE_ADDR") or "", 0),
        "server": (request.get_host(), int(request.get_port() or 0)),
    }


async def _exchange(request, scope: dict, body: bytes) -> tuple[int, list, bytes]:
    current_request.set(request)
    manager = StreamableHTTPSessionManager(app=mcp_server()._lowlevel_server, stateless=True, json_response=True)
    received = False
    status, headers, chunks = 500, [], []

    async def receive():
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    async with manager.run():
        await manager.handle_request(scope, receive, send)
    return status, headers, b"".join(chunks)


def serve(request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Answer one POST to ``/mcp`` with the SDK's transport: (status, headers, body)."""
    status, headers, content = async_to_sync(_exchange)(request, _scope(request, body), body)
    return status, [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers], content
