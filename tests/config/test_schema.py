"""config.schema.AutoSchema documents the error envelope for every failure an operation can answer."""

import pytest

pytestmark = pytest.mark.django_db

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_that_needs_a_service_documents_503(schema):
    """A database that cannot be reached answers 503 everywhere (config.exceptions), so the schema says so."""
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if path in ("/health/live", "/", "/api/v1/") or path.startswith("/.well-known/"):  # from settings alone
            assert "503" not in responses
        elif path == "/health":
            assert responses["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/HealthReport")
        else:
            assert responses["503"]["content"]["application/json"]["schema"] == ENVELOPE, (method, path)


def test_the_schema_builds_without_a_warning(tmp_path):
    """drf-spectacular's warnings (an enum name collision, a view whose model it cannot find) fail the
    production deploy check; here they fail the fast tier first."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
