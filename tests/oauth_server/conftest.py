"""A real OAuth client (Authlib's OAuth2Session, on requests) talking to Django's test client, and a
browser (a django.test.Client with its cookies) that signs in and answers the consent page."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from tests.factories import DEFAULT_PASSWORD, ApplicationFactory, make_org_with_roles

BASE = "http://testserver"
AUTHORIZE = f"{BASE}/api/v1/oauth/provider/authorize"
TOKEN = f"{BASE}/api/v1/oauth/provider/token"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


class DjangoClientAdapter(BaseAdapter):
    """requests' transport, through Django's test client: a real HTTP client's requests, no socket."""

    def __init__(self):
        super().__init__()
        self.client = Client()

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        skip = {"content-type", "content-length", "host"}
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in request.headers.items()
            if name.lower() not in skip
        }
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        answer = self.client.generic(
            request.method, path, data=body, content_type=request.headers.get("Content-Type", ""), **headers
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def oauth_session(client_id, *, scope="profile tasks:read", client_secret=None, **kwargs) -> OAuth2Session:
    session = OAuth2Session(
        client_id,
        client_secret,
        scope=scope,
        redirect_uri=kwargs.pop("redirect_uri", REDIRECT_URI),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
        **kwargs,
    )
    session.mount(BASE, DjangoClientAdapter())
    return session


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "input" or "name" not in attrs:
            return
        if attrs.get("type") == "checkbox" and "checked" not in attrs:
            return
        self.fields.setdefault(attrs["name"], []).append(attrs.get("value") or "")


def form_fields(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


class Browser:
    """The person's browser: signs in on the sign-in page and answers the consent page."""

    def __init__(self, user, password=DEFAULT_PASSWORD):
        self.client = Client()
        self.user = user
        self.password = password

    def get(self, url):
        return self.client.get(url.removeprefix(BASE))

    def sign_in(self, login_url):
        page = self.client.get(login_url)
        assert page.status_code == 200
        fields = form_fields(page.content.decode())
        data = {**{k: v[0] for k, v in fields.items()}, "identifier": self.user.email, "password": self.password}
        return self.client.post(login_url, data)

    def consent_page(self, authorization_url):
        response = self.get(authorization_url)
        if response.status_code == 302 and "/oauth/provider/login" in response["Location"]:
            response = self.sign_in(response["Location"])
            assert response.status_code == 302, response.content[:500]
            response = self.client.get(response["Location"])
        return response

    def answer(self, page, *, allow=True, organizations=None):
        fields = form_fields(page.content.decode())
        if organizations is not None:
            fields["organizations"] = [str(pk) for pk in organizations]
        if allow:
            fields["allow"] = ["Authorize"]
        return self.client.post(page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], fields)

    def authorize(self, authorization_url, **kwargs) -> str:
        """The whole browser side: the redirect back to the client, as its full URL."""
        page = self.consent_page(authorization_url)
        assert page.status_code == 200, page.content[:800]
        response = self.answer(page, **kwargs)
        assert response.status_code == 302, response.content[:800]
        return response["Location"]


def code_of(location: str) -> str:
    return re.search(r"[?&]code=([^&]+)", location).group(1)


@pytest.fixture
def org(db):
    return make_org_with_roles(name="Alpha")


@pytest.fixture
def public_client(db):
    return ApplicationFactory(redirect_uris=f"{REDIRECT_URI} https://app.example.com/callback")


@pytest.fixture
def browser(org):
    return Browser(org.member)


@pytest.fixture
def authorized(public_client, browser):
    """A public client that went through the flow: its session, with a token."""

    def run(scope="profile tasks:read", **kwargs):
        session = oauth_session(public_client.client_id, scope=scope)
        verifier = generate_token(48)
        url, _state = session.create_authorization_url(AUTHORIZE, code_verifier=verifier)
        location = browser.authorize(url, **kwargs)
        session.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier)
        return session

    return run
