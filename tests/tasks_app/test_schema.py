"""The OpenAPI schema of the task endpoints says what the API answers (mismatches found by fuzzing)."""

import pytest

from tasks_app.models import Priority, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()


def test_status_and_priority_filters_are_their_labels_in_natural_order_several_at_once(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    for name, labels in (("status", Status.labels), ("priority", Priority.labels)):
        assert parameters[name]["schema"] == {
            "type": "array",
            "items": {"type": "string", "enum": list(labels)},
            "maxItems": 100,
        }
        assert (parameters[name]["style"], parameters[name]["explode"]) == ("form", True)
    for name in ("assignee", "created_by", "mentioned", "organization"):
        assert parameters[name]["schema"] == {
            "type": "array",
            "items": {"type": "string", "format": "uuid"},
            "maxItems": 100,
        }


def test_ordering_lists_its_values(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    ordering = parameters["ordering"]
    assert (ordering["style"], ordering["explode"]) == ("form", False)
    assert ordering["schema"]["items"]["enum"][:4] == ["created_at", "-created_at", "updated_at", "-updated_at"]
    assert set(ordering["schema"]["items"]["enum"]) == {
        value for name in ("created_at", "updated_at", "due_date", "priority", "status") for value in (name, f"-{name}")
    }


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/tasks/assigned", "PaginatedTaskList"),
        ("/api/v1/tasks/mentioned", "PaginatedTaskList"),
        ("/api/v1/tasks/{id}/comments", "PaginatedCommentList"),
        ("/api/v1/tasks/{id}/activity", "PaginatedTaskActivityList"),
    ],
)
def test_lists_are_documented_as_pages(schema, path, component):
    operation = schema["paths"][path]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{component}"}
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}


def test_editing_a_comment_documents_its_body_as_required(schema):
    """The only thing a comment's PATCH changes is its body: the schema says to send it (not the Patched variant)."""
    body = schema["paths"]["/api/v1/tasks/{id}/comments/{comment_id}"]["patch"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CommentCreateRequest"}
    assert schema["components"]["schemas"]["CommentCreateRequest"]["required"] == ["body"]
    # The task's own PATCH stays partial.
    task = schema["paths"]["/api/v1/tasks/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert task == {"$ref": "#/components/schemas/PatchedTaskWriteRequest"}
