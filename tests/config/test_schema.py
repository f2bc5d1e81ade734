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


def test_every_operation_has_a_summary_and_a_description(schema):
    """ReDoc heads each operation with its summary (else a machine id) and explains it with its description.
    A new view: ``@extend_schema(summary=..., description=...)`` (docstrings are not used: they speak to
    developers, see DISABLE_DOCSTRING_DESCRIPTIONS)."""
    lacking = [
        f"{method.upper()} {path}: " + ", ".join(k for k in ("summary", "description") if not operation.get(k))
        for path, method, operation in operations(schema)
        if not operation.get("summary") or not operation.get("description")
    ]
    assert lacking == [], "operations without a summary or a description:\n" + "\n".join(lacking)
    same = [f"{m.upper()} {p}" for p, m, o in operations(schema) if o["summary"].strip() == o["description"].strip()]
    assert same == [], "a description that only repeats the summary"


def test_every_tag_has_a_description(schema):
    declared = {tag["name"]: tag.get("description") for tag in schema.get("tags", [])}
    used = {tag for _path, _method, operation in operations(schema) for tag in operation.get("tags", [])}
    assert used - set(declared) == set(), "add these tags to SPECTACULAR_SETTINGS['TAGS'] with a description"
    assert all(declared.values()), "a tag without a description"
    assert set(declared) - used == set(), "tags no operation uses"


def test_enums_keep_their_natural_order(schema):
    components = schema["components"]["schemas"]
    assert components["TaskStatusEnum"]["enum"] == ["todo", "in_progress", "done"]
    assert components["TaskPriorityEnum"]["enum"] == ["low", "medium", "high", "urgent"]
    assert components["RoleEnum"]["enum"] == ["owner", "admin", "member", "viewer"]
    assert components["ImportStateEnum"]["enum"] == ["pending", "running", "succeeded", "failed", "cancelled"]
    imports = {
        p["name"]: p for p in schema["paths"]["/api/v1/organizations/{organization_id}/imports"]["get"]["parameters"]
    }
    assert imports["state"]["schema"]["items"]["enum"] == ["pending", "running", "succeeded", "failed", "cancelled"]


def test_choice_filters_state_their_values(schema):
    """Every filter that takes a choice lists it (ids, dates and free text aside), as the audit log's actions."""
    from organizations.changes import Action

    audit = {
        p["name"]: p for p in schema["paths"]["/api/v1/organizations/{organization_id}/audit-log"]["get"]["parameters"]
    }
    assert audit["action"]["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": list(Action.values)},
        "maxItems": 20,
    }
    # Several: comma-separated or repeated (config/filters.py reads both).
    assert (audit["action"]["style"], audit["action"]["explode"]) == ("form", True)
    sessions = {p["name"]: p for p in schema["paths"]["/api/v1/admin/sessions"]["get"]["parameters"]}
    assert sessions["is_active"]["schema"]["enum"] == ["true", "false"]
    assert sessions["ordering"]["schema"]["items"]["enum"] == [
        "created_at", "-created_at", "last_seen_at", "-last_seen_at", "expires_at", "-expires_at"
    ]  # fmt: skip
