"""The security headers of a production deployment, on API, admin and docs responses.

Runs the project with production settings in a fresh process (as tests/config/test_deployment.py,
which also runs ``check --deploy --fail-level WARNING``), with the docs on and the static files
collected as the Docker image does, and reads the headers of real responses, over HTTPS as the
TLS proxy forwards them, and over plain HTTP.
"""

import json
import re

import pytest

from tests.config.test_deployment import PRODUCTION_ENV

HOST = "api.example.com"
HTTPS_PAGES = {
    "API, 200": "/health/live",
    "API, 401": "/api/v1/tasks",
    "API, 404": "/api/v1/no-such-endpoint",
    "admin login": "/admin/login/",
    "admin, redirect": "/admin/",
    "Swagger UI": "/api/v1/docs/",
    "Swagger UI script": "/api/v1/docs/?script=",
    "ReDoc": "/api/v1/redoc/",
    "OpenAPI schema": "/api/v1/schema/",
}
DOCS_PAGES = ("Swagger UI", "ReDoc", "admin login")

# Runs in the production process: fetches each page, and the same-origin assets of the HTML ones.
PROBE = r"""
import json, re, sys
import django
django.setup()
from django.test import Client

pages, host = json.loads(sys.argv[1]), sys.argv[2]
client = Client(raise_request_exception=False)

def fetch(path, secure=True):
    response = client.get(path, HTTP_HOST=host, secure=secure)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {
        "path": path, "status": response.status_code, "headers": {k.lower(): v for k, v in response.items()},
        "cookies": [c.output(header="") for c in response.cookies.values()], "body": body.decode("utf-8", "replace"),
    }

out = {"https": {name: fetch(path) for name, path in pages.items()}, "http": {}, "assets": {}}
for path in ("/api/v1/tasks", "/health/live"):
    out["http"][path] = fetch(path, secure=False)
for page in out["https"].values():
    if page["headers"].get("content-type", "").startswith("text/html"):
        for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page["body"]):
            out["assets"][url] = {**fetch(url), "body": ""}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(run_django, tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    env = {
        **PRODUCTION_ENV,
        "API_DOCS_ENABLED": "true",
        "STATIC_ROOT": str(folder / "static"),
        # No request here touches the database; should one, it is a file of this test's own.
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
    }
    collected = run_django(["manage.py", "collectstatic", "--noinput", "-v0"], **env)
    assert collected.returncode == 0, collected.stderr
    probe = run_django(["-c", PROBE, json.dumps(HTTPS_PAGES), HOST], **env)
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout.strip().splitlines()[-1])


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_transport_headers(headers: dict) -> None:
    """What SecurityMiddleware adds to every HTTPS response, static files included."""
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"


@pytest.mark.parametrize("name", HTTPS_PAGES)
def test_every_kind_of_response_carries_the_security_headers(production, name):
    page = production["https"][name]
    assert page["status"] in (200, 302, 401, 404), page["status"]
    headers = page["headers"]
    assert_transport_headers(headers)
    assert headers["x-frame-options"] == "DENY"
    csp = csp_directives(headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    # Scripts only from our own origin: no inline script, no eval, no other host.
    assert csp["script-src"] == ["'self'"]
    assert "x-request-id" in headers


def test_expected_statuses(production):
    statuses = {name: page["status"] for name, page in production["https"].items()}
    assert statuses == {
        "API, 200": 200,
        "API, 401": 401,
        "API, 404": 404,
        "admin login": 200,
        "admin, redirect": 302,
        "Swagger UI": 200,
        "Swagger UI script": 200,
        "ReDoc": 200,
        "OpenAPI schema": 200,
    }


def test_plain_http_is_redirected_to_https_and_gets_no_hsts(production):
    redirected = production["http"]["/api/v1/tasks"]
    assert redirected["status"] == 301
    assert redirected["headers"]["location"] == f"https://{HOST}/api/v1/tasks"
    assert "strict-transport-security" not in redirected["headers"]
    # The container's healthcheck calls /health/live over plain HTTP from inside: exempt.
    live = production["http"]["/health/live"]
    assert live["status"] == 200
    assert "strict-transport-security" not in live["headers"]


@pytest.mark.parametrize("name", DOCS_PAGES)
def test_html_pages_run_only_same_origin_script_files(production, name):
    """Under ``script-src 'self'`` an inline or foreign script would not run: the page would be broken."""
    body = production["https"][name]["body"]
    scripts = re.findall(r"<script\b([^>]*)>", body)
    assert scripts
    for attributes in scripts:
        source = re.search(r'\bsrc="([^"]+)"', attributes)
        assert source, f"inline <script> on {name}"
        assert source.group(1).startswith("/"), source.group(1)


def test_static_assets_of_the_admin_and_docs_are_served_with_the_transport_headers(production):
    assets = production["assets"]
    assert any("swagger-ui-bundle" in url for url in assets)
    assert any("redoc.standalone" in url for url in assets)
    assert any(url.startswith("/static/admin/") for url in assets)
    for url, asset in assets.items():
        assert asset["status"] == 200, url
        assert_transport_headers(asset["headers"])
        kind = asset["headers"]["content-type"]
        assert kind.startswith(("text/css", "text/javascript", "application/javascript", "image/")), (url, kind)


def test_admin_cookies_are_secure_and_http_only(production):
    cookies = production["https"]["admin login"]["cookies"]
    csrf = next(c for c in cookies if c.strip().startswith("csrftoken="))
    assert "Secure" in csrf
    assert "HttpOnly" in csrf
    assert "SameSite=Lax" in csrf
