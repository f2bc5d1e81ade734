"""Callers of ``/mcp``: the person's session JWT, and delegated credentials with scopes and organizations
(real personal access tokens, which authenticate as OAuth access tokens do: ``config.credentials``)."""

import pytest
from mcp.shared.exceptions import MCPError

from tests.factories import PersonalAccessTokenFactory
from tests.mcp_server.clients import DjangoTransport, mcp_session, run


@pytest.fixture
def delegated(db):
    """``delegated(user, {"tasks:read"}, organizations=[org_id] or None)``: the ``Authorization`` value of a
    personal access token of ``user`` with those scopes, limited to those organizations (None: all of the
    person's organizations now)."""

    def make(user, scopes, organizations=None):
        from organizations.models import Membership

        if organizations is None:
            organizations = Membership.objects.filter(user=user).values_list("organization_id", flat=True)
        token = PersonalAccessTokenFactory(user=user, scopes=list(scopes), organizations=list(organizations))
        return f"Bearer {token.secret}"

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
