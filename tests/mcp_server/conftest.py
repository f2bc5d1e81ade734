"""Callers of ``/mcp``: the person's session JWT, and delegated credentials with scopes and organizations.

Until the OAuth server's and the personal tokens' authentication classes are on ``/mcp``,
``delegated(user, scopes, organizations)`` stands for either: a bearer token that a test-only
authentication class (put first on the view, as a real one goes before the session JWT's) turns
into ``(user, credential)`` with the ``config.credentials`` attributes.
"""

import secrets
from types import SimpleNamespace

import pytest
from mcp.shared.exceptions import MCPError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from mcp_server.views import MCPView
from tests.mcp_server.clients import DjangoTransport, mcp_session, run

PREFIX = "test_dlg_"


class DelegatedTestAuthentication(BaseAuthentication):
    tokens: dict = {}

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"Bearer {PREFIX}"):
            return None
        found = self.tokens.get(header.removeprefix("Bearer "))
        if found is None:
            raise AuthenticationFailed("Unknown token.")
        return found

    def authenticate_header(self, request):
        return "Bearer"


@pytest.fixture
def delegated(monkeypatch):
    """``delegated(user, {"tasks:read"}, organizations=[org_id] or None)``: an ``Authorization`` value."""
    monkeypatch.setattr(DelegatedTestAuthentication, "tokens", {})
    monkeypatch.setattr(
        MCPView, "authentication_classes", [DelegatedTestAuthentication, *MCPView.authentication_classes]
    )

    def make(user, scopes, organizations=None):
        token = PREFIX + secrets.token_hex(8)
        credential = SimpleNamespace(
            scopes=frozenset(scopes), organization_ids=None if organizations is None else frozenset(organizations)
        )
        DelegatedTestAuthentication.tokens[token] = (user, credential)
        return f"Bearer {token}"

    return make


@pytest.fixture
def bearer(client_for):
    """``bearer(user)``: the ``Authorization`` value of a fresh session of that person (a session JWT)."""

    def make(user):
        return f"Bearer {client_for(user).tokens['access']}"

    return make


@pytest.fixture
def mcp(db):
    """``mcp(authorization).call_tool(name, arguments)`` and friends: each opens an initialized session
    with the official client (through Django's test client), makes the one request and answers its result."""

    class Caller:
        def __init__(self, authorization):
            self.authorization = authorization

        def _one(self, method, *args, **kwargs):
            async def scenario():
                async with mcp_session(authorization=self.authorization, transport=DjangoTransport()) as session:
                    try:
                        return await getattr(session, method)(*args, **kwargs)
                    except MCPError as exc:  # raised below, outside the client's task group
                        return exc

            outcome = run(scenario)
            if isinstance(outcome, MCPError):
                raise outcome
            return outcome

        def __getattr__(self, method):
            return lambda *args, **kwargs: self._one(method, *args, **kwargs)

    return Caller
