"""Filters of several values, refused bad values and strict ordering, through the lists of the API
(``config/filters.py``, ``config.middleware.SingleValuedQueryMiddleware``)."""

import uuid

import pytest
from django.utils import timezone

from imports.models import ImportKind, ImportState
from notifications.models import NotificationKind
from organizations.changes import Action
from tasks_app.models import Status
from tasks_app.services import task_create
from tests.factories import ImportJobFactory, NotificationFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["data"]}


def error_fields(response, status=400) -> dict[str, str]:
    assert response.status_code == status, response.content
    return {error["field"]: error["code"] for error in response.json()["errors"]}


@pytest.fixture
def tasks(org):
    make = lambda title, **fields: task_create(  # noqa: E731
        organization=org.organization, created_by=org.member, title=title, **fields
    )
    return {
        "todo": make("A", status=Status.TODO, assignee=org.admin, mentions=[org.viewer, org.owner]),
        "doing": make("B", status=Status.IN_PROGRESS, assignee=org.viewer, mentions=[org.viewer]),
        "done": make("C", status=Status.DONE),
    }


@pytest.mark.parametrize(
    "query",
    ["status=todo,in_progress", "status=todo&status=in_progress", "status=todo&status=in_progress,todo"],
)
def test_a_choice_filter_takes_several_values_commas_or_repeated(client_as, tasks, query):
    found = ids(client_as("viewer").get(f"{API}/tasks?{query}"))
    assert found == {str(tasks["todo"].pk), str(tasks["doing"].pk)}


def test_id_filters_take_several_values(org, client_as, tasks):
    client = client_as("viewer")
    assignees = f"{org.admin.pk},{org.viewer.pk}"
    assert ids(client.get(f"{API}/tasks?assignee={assignees}")) == {str(tasks["todo"].pk), str(tasks["doing"].pk)}
    # A task mentioning both people asked for is listed once.
    response = client.get(f"{API}/tasks?mentioned={org.viewer.pk}&mentioned={org.owner.pk}")
    assert [item["id"] for item in response.json()["data"]].count(str(tasks["todo"].pk)) == 1
    assert ids(response) == {str(tasks["todo"].pk), str(tasks["doing"].pk)}


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("status=todo,nope", "status", "invalid_choice"),
        ("assignee=not-a-uuid", "assignee", "invalid"),
        ("due_before=junk", "due_before", "invalid"),
        ("ordering=title", "ordering", "invalid_choice"),
        ("ordering=-created_at,secret", "ordering", "invalid_choice"),
    ],
)
def test_bad_values_are_400_naming_the_parameter(client_as, tasks, query, field, code):
    assert error_fields(client_as("viewer").get(f"{API}/tasks?{query}")) == {field: code}


def test_unknown_ordering_lists_the_allowed_values(client_as, tasks):
    (error,) = client_as("viewer").get(f"{API}/tasks?ordering=title").json()["errors"]
    assert error["message"].startswith("Unknown ordering: title. Allowed: created_at, -created_at, updated_at")
    assert ids(client_as("viewer").get(f"{API}/tasks?ordering=")) == {str(task.pk) for task in tasks.values()}


def test_too_many_values_are_refused(client_as, tasks):
    query = ",".join(str(uuid.uuid4()) for _ in range(101))
    assert error_fields(client_as("viewer").get(f"{API}/tasks?assignee={query}")) == {"assignee": "too_many"}


def test_single_valued_parameters_still_refuse_repeats(client_as, tasks):
    response = client_as("viewer").get(f"{API}/tasks?status=todo&status=done&page=1&page=2&search=a&search=b")
    assert error_fields(response) == {"page": "repeated_parameter", "search": "repeated_parameter"}
    # Where a list has no such filter, its name is single-valued there.
    assert error_fields(client_as("viewer").get(f"{API}/tasks/{tasks['todo'].pk}/comments?status=a&status=b")) == {
        "status": "repeated_parameter"
    }


def test_a_path_that_is_no_endpoint_answers_404_whatever_its_parameters(client_as):
    # Not a 400 for a parameter given twice: there is no endpoint to take it once or several times.
    response = client_as("viewer").get(f"{API}/organizations/None/imports?kind=tasks&kind=members&page=1&page=2")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_notifications_unread_and_kind(org, client_for):
    read = NotificationFactory(recipient=org.viewer, kind=NotificationKind.ASSIGNED, read_at=timezone.now())
    unread = NotificationFactory(recipient=org.viewer, kind=NotificationKind.MENTIONED)
    other = NotificationFactory(recipient=org.viewer, kind=NotificationKind.COMMENTED)
    client = client_for(org.viewer)
    assert ids(client.get(f"{API}/notifications?unread=true")) == {str(unread.pk), str(other.pk)}
    assert ids(client.get(f"{API}/notifications?unread=false")) == {str(read.pk)}
    assert ids(client.get(f"{API}/notifications?kind=assigned&kind=mentioned")) == {str(read.pk), str(unread.pk)}
    assert ids(client.get(f"{API}/notifications?kind=assigned,commented")) == {str(read.pk), str(other.pk)}
    for query, field in (("unread=junk", "unread"), ("kind=nope", "kind"), ("unread=true&unread=false", "unread")):
        assert set(error_fields(client.get(f"{API}/notifications?{query}"))) == {field}


def test_imports_by_several_states_and_kinds(org, client_as):
    pending = ImportJobFactory(organization=org.organization, state=ImportState.PENDING, kind=ImportKind.TASKS)
    failed = ImportJobFactory(organization=org.organization, state=ImportState.FAILED, kind=ImportKind.MEMBERS)
    ImportJobFactory(organization=org.organization, state=ImportState.SUCCEEDED, kind=ImportKind.TASKS)
    url = f"{API}/organizations/{org.id}/imports"
    assert ids(client_as("admin").get(f"{url}?state=pending&state=failed")) == {str(pending.pk), str(failed.pk)}
    assert ids(client_as("admin").get(f"{url}?kind=members")) == {str(failed.pk)}
    assert error_fields(client_as("admin").get(f"{url}?state=pending,exploded")) == {"state": "invalid_choice"}


def test_members_by_several_roles(org, client_as):
    response = client_as("viewer").get(f"{API}/organizations/{org.id}/members?role=admin,owner")
    assert response.status_code == 200, response.content
    assert sorted(item["role"] for item in response.json()["data"]) == ["admin", "owner"]
    response = client_as("viewer").get(f"{API}/organizations/{org.id}/members?role=viewer&role=member")
    assert sorted(item["role"] for item in response.json()["data"]) == ["member", "viewer"]
    assert error_fields(client_as("viewer").get(f"{API}/organizations/{org.id}/members?ordering=password")) == {
        "ordering": "invalid_choice"
    }


def test_audit_log_actions_repeated(org, client_as, tasks):
    url = f"{API}/organizations/{org.id}/audit-log"
    response = client_as("admin").get(f"{url}?action={Action.TASK_CREATED}&action={Action.MEMBER_ADDED}")
    assert response.status_code == 200, response.content
    assert {item["action"] for item in response.json()["data"]} <= {"task.created", "member.added"}
    assert "task.created" in {item["action"] for item in response.json()["data"]}


def test_each_request_has_its_own_filters_and_a_method_filter_calls_its_own_filter_set(rf):
    """``config.filters.FilterSet`` copies the class's filters shallowly per request: each copy belongs to its
    request's filter set, and the class's own filters are left as they were."""
    import django_filters

    from config.filters import FilterSet
    from tasks_app.models import Task

    class Probe(FilterSet):
        title = django_filters.CharFilter(method="by_title")
        status = django_filters.CharFilter()

        def by_title(self, queryset, name, value):
            self.seen = (self.request.path, value)
            return queryset.filter(title=value)

    first = Probe(data={"title": "A"}, queryset=Task.objects.all(), request=rf.get("/first"))
    second = Probe(data={"title": "B"}, queryset=Task.objects.all(), request=rf.get("/second"))
    assert first.filters["title"] is not second.filters["title"]
    assert first.filters["title"].parent is first
    assert second.filters["title"].parent is second
    assert first.filters["status"].model is Task
    assert not hasattr(Probe.base_filters["title"], "parent")  # the class's filters belong to no request
    first.qs, second.qs  # noqa: B018 - evaluates each filter set's filters
    assert (first.seen, second.seen) == (("/first", "A"), ("/second", "B"))


def test_filter_forms_share_their_fields_and_validate_each_on_its_own(rf):
    from tasks_app.filters import TaskFilter
    from tasks_app.models import Task

    refused = TaskFilter(data={"status": "nonsense"}, queryset=Task.objects.all(), request=rf.get("/"))
    accepted = TaskFilter(data={"status": "todo"}, queryset=Task.objects.all(), request=rf.get("/"))
    assert not refused.is_valid()
    assert accepted.is_valid(), accepted.errors
    assert set(refused.errors) == {"status"}
    assert accepted.form.cleaned_data["status"] == ["todo"]
    assert refused.form.fields["status"] is accepted.form.fields["status"]  # shared, not deep-copied per form
    assert refused.form.fields is not accepted.form.fields


def test_a_filter_form_cleans_only_the_filters_the_request_names(rf):
    """An absent filter applies nothing, so its field is not in the bound form; a required one is, and refuses its
    absence; an unbound form has them all; a parameter given empty is cleaned (and applies nothing)."""
    import django_filters

    from config.filters import FilterSet
    from tasks_app.filters import TaskFilter
    from tasks_app.models import Task

    named = TaskFilter(data={"assignee": str(uuid.uuid4()), "status": ""}, queryset=Task.objects.all())
    assert named.is_valid(), named.errors
    assert set(named.form.fields) == {"assignee", "status"}
    assert set(named.form.cleaned_data) == {"assignee", "status"}
    assert set(TaskFilter(queryset=Task.objects.all()).form.fields) == set(TaskFilter.base_filters)

    class Required(FilterSet):
        title = django_filters.CharFilter(required=True)
        status = django_filters.CharFilter()

    absent = Required(data={"status": "x"}, queryset=Task.objects.all())
    assert not absent.is_valid()
    assert set(absent.errors) == {"title"}


def test_filtering_by_one_parameter_gives_what_all_fields_cleaned_gave(org, client_as, tasks):
    member = client_as("member")
    assert ids(member.get(f"{API}/tasks", {"assignee": str(org.admin.pk)})) == {str(tasks["todo"].pk)}
    assert ids(member.get(f"{API}/tasks", {"status": "done", "priority": ""})) == {str(tasks["done"].pk)}
    assert ids(member.get(f"{API}/tasks", {"status": ""})) == {str(task.pk) for task in tasks.values()}
