"""The OpenAPI schema of the task endpoints says what the API answers (mismatches found by fuzzing)."""

import pytest

from tasks_app.models import Priority, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()


def test_status_and_priority_filters_are_their_labels_in_their_natural_order(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert parameters["status"] == {"type": "string", "enum": ["todo", "in_progress", "done"]}
    assert parameters["priority"] == {"type": "string", "enum": ["low", "medium", "high", "urgent"]}
    assert parameters["status"]["enum"] == list(Status.labels)
    assert parameters["priority"]["enum"] == list(Priority.labels)


def test_ordering_lists_its_fields(schema):
    [ordering] = [p for p in schema["paths"]["/api/v1/tasks"]["get"]["parameters"] if p["name"] == "ordering"]
    assert ordering["schema"]["items"]["enum"][:4] == ["created_at", "-created_at", "updated_at", "-updated_at"]
    assert (ordering["style"], ordering["explode"]) == ("form", False)


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
