"""Every API endpoint x method x caller, generated from the URL configuration.

``test_every_endpoint_is_in_the_matrix`` walks the URL resolver: an endpoint or a method added
without a row here fails the suite, so none can be missed. Each row builds its request against a
fresh world (organization A with one user per role, a task, an invitation, an import job, a report
export...; organization B whose owner is the ``outsider``) and states the answer for each caller.
"""

import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from organizations.models import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.organizations.conftest import make_org_with_roles
from tests.organizations.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CALLERS = ["owner", "admin", "member", "viewer", "outsider", "anonymous", "superuser"]
API = "/api/v1"
# Documentation pages: public by design, tested in tests/config/test_middleware.py.
NOT_IN_MATRIX = {"schema/", "docs/", "redoc/"}


def _normalise(route: str) -> str:
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return route.replace("^", "").replace("$", "")


def api_routes() -> set[tuple[str, str]]:
    """(route, METHOD) of every endpoint under /api/v1/, from the URL configuration."""
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not route.startswith("api/v1/"):
                    continue
                route = _normalise(route[len("api/v1/") :])
                if route in NOT_IN_MATRIX:
                    continue
                callback = pattern.callback
                actions = getattr(callback, "actions", None)
                view = getattr(callback, "cls", None)
                if actions:
                    # DRF adds "head" to a viewset's actions on its first GET: not an endpoint of ours.
                    methods = set(actions) - {"head", "options"}
                elif view is not None:
                    methods = {m for m in view.http_method_names if hasattr(view, m)} - {"options", "head"}
                else:
                    methods = {"get"}
                found.update((route, method.upper()) for method in methods)

    walk(get_resolver().url_patterns)
    return found


@dataclass
class World:
    """Organization A (one user per role, plus a target member), B (the outsider's), and A's objects."""

    org: object
    users: dict
    target: object
    task: object
    invitation: object
    invitation_for_outsider: object
    objects: dict = field(default_factory=dict)

    @property
    def id(self):
        return self.org.id


def build_world(client_for) -> World:
    from imports.models import ImportJob
    from reports.models import ReportExport
    from tasks_app.services import task_create

    org = make_org_with_roles(name="Alpha")
    other = make_org_with_roles(name="Beta")
    users = {**org.users, "outsider": other.owner, "superuser": UserFactory(is_superuser=True, is_staff=True)}
    target = MembershipFactory(organization=org.organization, role=Role.MEMBER).user
    task = task_create(organization=org.organization, created_by=org.member, title="Alpha task", assignee=org.member)
    job = ImportJob(organization=org.organization, created_by=org.admin, kind="tasks", original_name="t.csv")
    job.file.save("t.csv", ContentFile(b"title\nOne\n"), save=False)
    job.save()
    export = ReportExport.objects.create(
        organization=org.organization,
        requested_by=org.member,
        format="csv",
        date_from="2030-01-01",
        date_to="2030-01-31",
    )
    world = World(
        org=org,
        users=users,
        target=target,
        task=task,
        invitation=InvitationFactory(organization=org.organization, invited_by=org.admin),
        invitation_for_outsider=InvitationFactory(organization=org.organization, email=other.owner.email),
    )
    from notifications.services import notify

    (note,) = notify(recipients=[org.member], kind="test", title="Hello")
    world.objects.update(job=job, export=export, notification=note, member_session=client_for(org.member).session_row)
    return world


def multipart_csv():
    return {"file": ContentFile(b"title\nImported\n", name="tasks.csv"), "kind": "tasks", "mode": "skip_invalid"}


# route -> method -> (request builder, expected status per caller in CALLERS order)
# A builder gets the world and returns (path, body) or (path, body, "multipart").
R = {
    "auth/register": {
        "POST": (
            lambda w: (
                "auth/register",
                {
                    "email": f"{uuid.uuid4().hex[:8]}@example.com",
                    "username": f"u{uuid.uuid4().hex[:8]}",
                    "password": "plum-tractor-88",
                },
            ),
            [201, 201, 201, 201, 201, 201, 201],
        ),
    },
    "auth/login": {
        "POST": (lambda w: ("auth/login", {"email": w.users["member"].email, "password": DEFAULT_PASSWORD}), [200] * 7),
    },
    "auth/refresh": {"POST": (lambda w: ("auth/refresh", {"refresh": "not-a-token"}), [401] * 7)},
    "auth/logout": {"POST": (lambda w: ("auth/logout", None), [204, 204, 204, 204, 204, 401, 204])},
    "auth/logout-all": {"POST": (lambda w: ("auth/logout-all", None), [200, 200, 200, 200, 200, 401, 200])},
    "auth/password/change": {
        "POST": (
            lambda w: ("auth/password/change", {"old_password": "wrong", "new_password": "plum-tractor-88"}),
            [400, 400, 400, 400, 400, 401, 400],
        ),
    },
    "auth/password/reset": {"POST": (lambda w: ("auth/password/reset", {"email": "x@example.com"}), [202] * 7)},
    "auth/password/reset/confirm": {
        "POST": (
            lambda w: ("auth/password/reset/confirm", {"token": "bad", "new_password": "plum-tractor-88"}),
            [400] * 7,
        ),
    },
    "users": {
        "POST": (
            lambda w: ("users", {"email": "made@example.com", "username": "made_by_su", "password": "plum-tractor-88"}),
            [403, 403, 403, 403, 403, 401, 201],
        ),
    },
    "users/me": {
        "GET": (lambda w: ("users/me", None), [200, 200, 200, 200, 200, 401, 200]),
        "PATCH": (lambda w: ("users/me", {"full_name": "Renamed"}), [200, 200, 200, 200, 200, 401, 200]),
    },
    "users/{user_id}": {
        "GET": (lambda w: (f"users/{w.users['member'].pk}", None), [200, 200, 200, 200, 404, 401, 200]),
    },
    "notifications": {"GET": (lambda w: ("notifications", None), [200, 200, 200, 200, 200, 401, 200])},
    "notifications/read-all": {
        "POST": (lambda w: ("notifications/read-all", None), [200, 200, 200, 200, 200, 401, 200]),
    },
    "notifications/{notification_id}/read": {
        "POST": (
            lambda w: (f"notifications/{w.objects['notification'].pk}/read", None),
            [404, 404, 200, 404, 404, 401, 404],
        ),
    },
    "sessions": {"GET": (lambda w: ("sessions", None), [200, 200, 200, 200, 200, 401, 200])},
    "sessions/{pk}": {
        "DELETE": (
            lambda w: (f"sessions/{w.objects['member_session'].pk}", None),
            [404, 404, 204, 404, 404, 401, 404],
        ),
    },
    "admin/sessions": {"GET": (lambda w: ("admin/sessions", None), [403, 403, 403, 403, 403, 401, 200])},
    "organizations": {
        "GET": (lambda w: ("organizations", None), [200, 200, 200, 200, 200, 401, 200]),
        "POST": (lambda w: ("organizations", {"name": "New venture"}), [201, 201, 201, 201, 201, 401, 201]),
    },
    "organizations/{organization_id}": {
        "GET": (lambda w: (f"organizations/{w.id}", None), [200, 200, 200, 200, 404, 401, 200]),
        "PATCH": (lambda w: (f"organizations/{w.id}", {"name": "Renamed"}), [200, 200, 403, 403, 404, 401, 200]),
        "DELETE": (lambda w: (f"organizations/{w.id}", None), [204, 403, 403, 403, 404, 401, 204]),
    },
    "organizations/{organization_id}/members": {
        "GET": (lambda w: (f"organizations/{w.id}/members", None), [200, 200, 200, 200, 404, 401, 200]),
        "POST": (
            lambda w: (f"organizations/{w.id}/members", {"email": UserFactory().email, "role": "member"}),
            [201, 201, 403, 403, 404, 401, 201],
        ),
    },
    "organizations/{organization_id}/members/{user_id}": {
        "GET": (lambda w: (f"organizations/{w.id}/members/{w.target.pk}", None), [200, 200, 200, 200, 404, 401, 200]),
        "PATCH": (
            lambda w: (f"organizations/{w.id}/members/{w.target.pk}", {"role": "viewer"}),
            [200, 200, 403, 403, 404, 401, 200],
        ),
        "DELETE": (
            lambda w: (f"organizations/{w.id}/members/{w.target.pk}", None),
            [204, 204, 403, 403, 404, 401, 204],
        ),
    },
    "organizations/{organization_id}/invitations": {
        "GET": (lambda w: (f"organizations/{w.id}/invitations", None), [200, 200, 403, 403, 404, 401, 200]),
        "POST": (
            lambda w: (f"organizations/{w.id}/invitations", {"email": "new-person@example.com", "role": "member"}),
            [201, 201, 403, 403, 404, 401, 201],
        ),
    },
    "organizations/{organization_id}/invitations/{invitation_id}": {
        "GET": (
            lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}", None),
            [200, 200, 403, 403, 404, 401, 200],
        ),
        "DELETE": (
            lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}", None),
            [204, 204, 403, 403, 404, 401, 204],
        ),
    },
    "organizations/{organization_id}/invitations/{invitation_id}/resend": {
        "POST": (
            lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}/resend", None),
            [200, 200, 403, 403, 404, 401, 200],
        ),
    },
    "invitations/{token}": {"GET": (lambda w: (f"invitations/{w.invitation.token}", None), [200] * 7)},
    "invitations/{token}/accept": {
        "POST": (
            lambda w: (f"invitations/{w.invitation_for_outsider.token}/accept", None),
            [403, 403, 403, 403, 200, 401, 403],
        ),
    },
    "tasks": {
        "GET": (lambda w: ("tasks", None), [200, 200, 200, 200, 200, 401, 200]),
        "POST": (lambda w: ("tasks", {"organization": str(w.id), "title": "New"}), [201, 201, 201, 403, 404, 401, 201]),
    },
    "tasks/assigned": {"GET": (lambda w: ("tasks/assigned", None), [200, 200, 200, 200, 200, 401, 200])},
    "tasks/mentioned": {"GET": (lambda w: ("tasks/mentioned", None), [200, 200, 200, 200, 200, 401, 200])},
    "tasks/{pk}": {
        "GET": (lambda w: (f"tasks/{w.task.pk}", None), [200, 200, 200, 200, 404, 401, 200]),
        "PATCH": (lambda w: (f"tasks/{w.task.pk}", {"title": "Renamed"}), [200, 200, 200, 403, 404, 401, 200]),
        "DELETE": (lambda w: (f"tasks/{w.task.pk}", None), [204, 204, 204, 403, 404, 401, 204]),
    },
    "tasks/{pk}/comments": {
        "GET": (lambda w: (f"tasks/{w.task.pk}/comments", None), [200, 200, 200, 200, 404, 401, 200]),
        "POST": (lambda w: (f"tasks/{w.task.pk}/comments", {"body": "Hi"}), [201, 201, 201, 403, 404, 401, 201]),
    },
    "tasks/{pk}/activity": {
        "GET": (lambda w: (f"tasks/{w.task.pk}/activity", None), [200, 200, 200, 200, 404, 401, 200]),
    },
    "organizations/{organization_id}/imports": {
        "GET": (lambda w: (f"organizations/{w.id}/imports", None), [200, 200, 403, 403, 404, 401, 200]),
        "POST": (
            lambda w: (f"organizations/{w.id}/imports", multipart_csv(), "multipart"),
            [202, 202, 403, 403, 404, 401, 202],
        ),
    },
    "imports/{pk}": {
        "GET": (lambda w: (f"imports/{w.objects['job'].pk}", None), [200, 200, 403, 403, 404, 401, 200]),
    },
    "imports/{pk}/status": {
        "GET": (lambda w: (f"imports/{w.objects['job'].pk}/status", None), [200, 200, 403, 403, 404, 401, 200]),
    },
    "imports/{pk}/errors": {
        "GET": (lambda w: (f"imports/{w.objects['job'].pk}/errors", None), [200, 200, 403, 403, 404, 401, 200]),
    },
    "imports/{pk}/cancel": {
        "POST": (lambda w: (f"imports/{w.objects['job'].pk}/cancel", None), [200, 200, 403, 403, 404, 401, 200]),
    },
    "reports/{organization_id}": {
        "GET": (
            lambda w: (f"reports/{w.id}?from=2030-01-01&to=2030-01-31", None),
            [200, 200, 200, 200, 404, 401, 200],
        ),
    },
    "reports/{organization_id}/exports": {
        "GET": (lambda w: (f"reports/{w.id}/exports", None), [200, 200, 200, 200, 404, 401, 200]),
        "POST": (
            lambda w: (f"reports/{w.id}/exports", {"format": "csv", "from": "2030-01-01", "to": "2030-01-31"}),
            [202, 202, 202, 202, 404, 401, 202],
        ),
    },
    "reports/{organization_id}/settings": {
        "GET": (lambda w: (f"reports/{w.id}/settings", None), [200, 200, 200, 200, 404, 401, 200]),
        "PATCH": (
            lambda w: (f"reports/{w.id}/settings", {"weekly_email": True}),
            [200, 200, 403, 403, 404, 401, 200],
        ),
    },
    "reports/exports/{pk}": {
        "GET": (lambda w: (f"reports/exports/{w.objects['export'].pk}", None), [200, 200, 200, 200, 404, 401, 200]),
    },
    "reports/exports/{pk}/download": {
        "GET": (
            lambda w: (f"reports/exports/{w.objects['export'].pk}/download", None),
            [409, 409, 409, 409, 404, 401, 409],
        ),
    },
}

CASES = [
    pytest.param(route, method, caller, expected[i], id=f"{method} {route} as {caller}")
    for route, methods in R.items()
    for method, (_build, expected) in methods.items()
    for i, caller in enumerate(CALLERS)
]


def test_every_endpoint_is_in_the_matrix():
    routes = api_routes()
    in_matrix = {(route, method) for route, methods in R.items() for method in methods}
    assert routes - in_matrix == set(), "endpoints without a row in the authorization matrix"
    assert in_matrix - routes == set(), "rows for endpoints that no longer exist"


def test_matrix_size():
    print(
        f"\nauthorization matrix: {len(R)} routes, {sum(len(m) for m in R.values())} endpoint-methods, "
        f"{len(CASES)} cases"
    )
    assert len(CASES) == sum(len(m) for m in R.values()) * len(CALLERS)


@pytest.mark.parametrize(("route", "method", "caller", "expected"), CASES)
def test_authorization(api_client, client_for, django_capture_on_commit_callbacks, route, method, caller, expected):
    world = build_world(client_for)
    build, _ = R[route][method]
    path, body, *kind = build(world)
    client = api_client if caller == "anonymous" else client_for(world.users[caller])
    options = {"format": "multipart"} if kind == ["multipart"] else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method.lower())(f"{API}/{path}", body, **options)
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response.json()["success"] is False
