"""Request ids, security headers, CORS and the API docs."""

import uuid

import pytest


@pytest.mark.django_db
class TestRequestId:
    def test_every_response_carries_a_request_id(self, api_client):
        response = api_client.get("/health/live")
        assert len(response["X-Request-ID"]) == 32

    def test_a_valid_incoming_id_is_kept(self, api_client):
        incoming = uuid.uuid4().hex
        assert api_client.get("/health/live", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming

    def test_a_forged_incoming_id_is_replaced(self, api_client):
        response = api_client.get("/health/live", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
        assert response["X-Request-ID"] != "<script>alert(1)</script>"
        uuid.UUID(response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live", "/api/v1/schema/", "/admin/login/", "/api/v1/nothing"])
def test_security_headers_on_api_admin_and_docs(api_client, path):
    response = api_client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp


@pytest.mark.django_db
def test_cors_allows_only_configured_origins(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = api_client.get("/health/live", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    denied = api_client.get("/health/live", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in denied


@pytest.mark.django_db
def test_a_cross_origin_frontend_may_read_every_exposed_header(api_client, settings):
    """Every header of CORS_EXPOSE_HEADERS reaches the frontend's script: django-guid once replaced the list
    with X-Request-ID alone, so a cross-origin page could not read Retry-After."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = api_client.get("/health/live", HTTP_ORIGIN="https://app.example.com")
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {name.lower() for name in settings.CORS_EXPOSE_HEADERS} <= exposed
    assert {"x-request-id", "retry-after"} <= exposed
    assert response["X-Request-ID"]


@pytest.mark.django_db
class TestDocs:
    def test_schema_is_openapi_3_and_documents_the_error_envelope(self, api_client):
        response = api_client.get("/api/v1/schema/?format=json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert "ErrorEnvelope" in schema["components"]["schemas"]
        health = schema["paths"]["/health"]["get"]["responses"]
        assert {"200", "503"} <= set(health)

    @pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
    def test_docs_pages_render_without_inline_scripts(self, api_client, path):
        response = api_client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>" not in html.replace(" ", "")
        assert "https://" not in html, "no asset or preconnect off-site"
