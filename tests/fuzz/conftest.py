"""The world the fuzzer signs in to: one organization with data, seen by its owner or its viewer.

``FuzzWorld.known_path_parameters`` gives, for every path of the schema, ids of real objects the
caller can reach, so that the fuzzer exercises real tasks, members, invitations, import jobs and
exports instead of answering 404 to random UUIDs only (``test_every_path_parameter_has_a_real_value``
fails when an endpoint with a new path parameter has none).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from organizations.models import Role
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OAuthGrantFactory,
    PersonalAccessTokenFactory,
    SocialIdentityFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
    make_org_with_roles,
)

ROLES = ["owner", "viewer"]


@dataclass
class FuzzWorld:
    caller: object
    access_token: str
    paths: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def known_path_parameters(self, path: str) -> dict[str, str]:
        return self.paths.get(path, {})

    def fresh_authorization(self) -> dict[str, str]:
        """A new session of the caller, for an operation that ends the session it is called with."""
        from sessions_app.services import session_create

        _, tokens = session_create(user=self.caller)
        return {"Authorization": f"Bearer {tokens['access']}"}


def build_fuzz_world(caller_role: str) -> FuzzWorld:
    """Organization "Fuzz" with one user per role, tasks with comments and mentions, an invitation,
    an import job that ended with row errors, a built report export, notifications and a second
    session of the caller; the caller is its ``caller_role`` user, signed in with a real access token."""
    from imports.services import import_job_create, import_job_run
    from notifications.services import notification_create
    from reports.ranges import ReportRange
    from reports.services import report_export_build, report_export_create
    from sessions_app.services import session_create
    from tasks_app.models import Priority, Status
    from tasks_app.services import comment_create, comment_delete, task_create, task_delete

    org = make_org_with_roles(name="Fuzz")
    organization = org.organization
    caller = org.users[caller_role]
    target = MembershipFactory(organization=organization, role=Role.MEMBER).user
    for user in org.users.values():  # mentions by @username need simple handles
        user.username = f"fuzz_{user.username}"
        user.save(update_fields=["username"])

    task = task_create(
        organization=organization,
        created_by=org.owner,
        title="Fuzzed task",
        description=f"For @{org.member.username} and @{caller.username}",
        priority=Priority.HIGH,
        assignee=org.member,
        due_date=datetime.date(2030, 1, 15),
    )
    task_create(organization=organization, created_by=org.member, title="Done task", status=Status.DONE)
    comment = comment_create(task=task, author=org.member, body=f"Looking into it, @{caller.username}")
    comment_create(task=task, author=org.admin, body="Thanks")
    # The trash: a task the caller created and a comment the caller wrote, deleted by the owner (an owner
    # caller may restore them; a viewer, who may delete nothing, is refused).
    trashed = task_create(organization=organization, created_by=caller, title="Trashed task")
    task_delete(task=trashed, actor=org.owner)
    trashed_comment = comment_create(task=task, author=caller, body="Trashed comment")
    comment_delete(comment=trashed_comment, actor=org.owner)

    invitation = InvitationFactory(organization=organization, invited_by=org.owner, role=Role.MEMBER)
    # An invitation to another organization, addressed to the caller: accepting it can succeed once.
    elsewhere = make_org_with_roles(name="Elsewhere")
    invitation_for_caller = InvitationFactory(organization=elsewhere.organization, email=caller.email)

    csv = b"title,description,status,priority,assignee_email,due_date\nOne,,todo,high,,2030-01-02\n,,bogus,,,\n"
    job = import_job_create(
        organization=organization,
        uploaded_file=SimpleUploadedFile("tasks.csv", csv, content_type="text/csv"),
        kind="tasks",
        created_by=org.owner,
        start=False,
    )
    import_job_run(job_id=job.pk)
    export = report_export_create(
        organization=organization,
        requested_by=caller,
        format="csv",
        report_range=ReportRange(
            date_from=datetime.date(2030, 1, 1), date_to=datetime.date(2030, 1, 31), as_of=datetime.date(2030, 1, 31)
        ),
    )
    report_export_build(export_id=export.pk)

    (notification,) = notification_create(recipients=[caller], kind="test", title="Hello")
    endpoint = WebhookEndpointFactory(organization=organization, url="https://hooks.example.com/fuzz")
    delivery = WebhookDeliveryFactory(endpoint=endpoint, state="failed")
    identity = SocialIdentityFactory(user=caller, provider="github")
    token = PersonalAccessTokenFactory(user=caller, organizations=[organization])
    grant = OAuthGrantFactory(user=caller, organizations=[organization])
    other_session, _ = session_create(user=caller)
    _, tokens = session_create(user=caller)

    org_id, task_id = str(organization.pk), str(task.pk)
    api = "/api/v1"
    world = FuzzWorld(caller=caller, access_token=str(tokens["access"]))
    world.paths = {
        f"{api}/organizations/{{organization_id}}": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/members": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/members/{{user_id}}": {
            "organization_id": org_id,
            "user_id": str(target.pk),
        },
        f"{api}/organizations/{{organization_id}}/invitations": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/invitations/{{invitation_id}}": {
            "organization_id": org_id,
            "invitation_id": str(invitation.pk),
        },
        f"{api}/organizations/{{organization_id}}/invitations/{{invitation_id}}/resend": {
            "organization_id": org_id,
            "invitation_id": str(invitation.pk),
        },
        f"{api}/organizations/{{organization_id}}/imports": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/webhooks": {"organization_id": org_id},
        **{
            f"{api}/organizations/{{organization_id}}/webhooks/{{webhook_id}}{tail}": {
                "organization_id": org_id,
                "webhook_id": str(endpoint.pk),
            }
            for tail in ("", "/rotate-secret", "/ping", "/deliveries")
        },
        f"{api}/organizations/{{organization_id}}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver": {
            "organization_id": org_id,
            "webhook_id": str(endpoint.pk),
            "delivery_id": str(delivery.pk),
        },
        f"{api}/invitations/{{token}}": {"token": invitation_for_caller.token},
        f"{api}/invitations/{{token}}/accept": {"token": invitation_for_caller.token},
        f"{api}/tasks/{{id}}": {"id": task_id},
        f"{api}/tasks/{{id}}/comments": {"id": task_id},
        f"{api}/tasks/{{id}}/activity": {"id": task_id},
        f"{api}/tasks/{{id}}/comments/{{comment_id}}": {"id": task_id, "comment_id": str(comment.pk)},
        f"{api}/organizations/{{organization_id}}/trash": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/trash/tasks/{{item_id}}/restore": {
            "organization_id": org_id,
            "item_id": str(trashed.pk),
        },
        f"{api}/organizations/{{organization_id}}/trash/comments/{{item_id}}/restore": {
            "organization_id": org_id,
            "item_id": str(trashed_comment.pk),
        },
        # Not deleted: restoring it answers 404 (deleting it needs the password and name the fuzzer lacks).
        f"{api}/organizations/{{organization_id}}/restore": {"organization_id": org_id},
        f"{api}/imports/{{id}}": {"id": str(job.pk)},
        f"{api}/imports/{{id}}/status": {"id": str(job.pk)},
        f"{api}/imports/{{id}}/errors": {"id": str(job.pk)},
        f"{api}/imports/{{id}}/cancel": {"id": str(job.pk)},
        f"{api}/reports/{{organization_id}}": {"organization_id": org_id},
        f"{api}/reports/{{organization_id}}/exports": {"organization_id": org_id},
        f"{api}/reports/{{organization_id}}/settings": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/audit-log": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/audit-log/export": {"organization_id": org_id},
        f"{api}/reports/exports/{{id}}": {"id": str(export.pk)},
        f"{api}/reports/exports/{{id}}/download": {"id": str(export.pk)},
        f"{api}/reports/exports/{{id}}/signed-download": {"id": str(export.pk)},
        f"{api}/sessions/{{id}}": {"id": str(other_session.pk)},
        f"{api}/notifications/{{notification_id}}/read": {"notification_id": str(notification.pk)},
        f"{api}/users/{{user_id}}": {"user_id": str(org.member.pk)},
        f"{api}/users/me/identities/{{id}}": {"id": str(identity.pk)},
        f"{api}/users/me/tokens/{{token_id}}": {"token_id": str(token.pk)},
        f"{api}/users/me/authorizations/{{id}}": {"id": str(grant.pk)},
        f"{api}/organizations/{{organization_id}}/tokens": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/tokens/{{token_id}}": {
            "organization_id": org_id,
            "token_id": str(token.pk),
        },
        f"{api}/organizations/{{organization_id}}/authorizations": {"organization_id": org_id},
        f"{api}/organizations/{{organization_id}}/authorizations/{{id}}": {
            "organization_id": org_id,
            "id": str(grant.pk),
        },
        # GitHub is the provider switched on for the fuzzer (``sso_provider_on_loopback``).
        **{
            f"{api}/{route}/{{provider}}": {"provider": "github"}
            for route in ("oauth/authorize", "oauth/callback", "oauth/reauthenticate", "users/me/identities")
        },
    }
    return world


@pytest.fixture
def wsgi_requests_keep_connection():
    """Requests sent through the WSGI application must not close the test's database connection.

    Django's WSGI handler closes old connections when a request starts and ends; inside the test's
    transaction that would break it. Django's own test client disconnects the same handler.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def generous_rate_limits(settings):
    """The fuzzer measures the rate-limited endpoints (sign-in, refresh, register, password reset), not
    their limits: 429 stays documented on them, and tests/accounts and tests/sessions_app test the limits."""
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m")


@pytest.fixture
def sso_provider_on_loopback(settings):
    """GitHub switched on, its endpoints on a loopback port where nothing listens: a request that got as
    far as the provider meets a refused connection (the documented 503), never a real server."""
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = "fuzz-client", "fuzz-secret"
    settings.GITHUB_URL = settings.GITHUB_API_URL = "http://127.0.0.1:9"


@dataclass
class FuzzStats:
    """What the fuzz tests sent and got, printed at the end of the run."""

    operations: set = field(default_factory=set)
    requests: Counter = field(default_factory=Counter)  # by "phase/mode"
    statuses: Counter = field(default_factory=Counter)

    def record(self, case, response) -> None:
        self.operations.add(case.operation.label)
        meta = case.meta
        phase = meta.phase.name.value if meta is not None else "?"
        mode = meta.generation.mode.value if meta is not None else "?"
        self.requests[f"{phase}/{mode}"] += 1
        self.statuses[response.status_code] += 1

    def summary(self) -> str:
        total = sum(self.requests.values())
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        by_phase = ", ".join(f"{key} {n}" for key, n in sorted(self.requests.items()))
        by_status = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"fuzz: {len(self.operations)} operations, {total} requests ({by_phase}); "
            f"server errors: {server_errors}\nfuzz: statuses {by_status}"
        )


_STATS = FuzzStats()


@pytest.fixture(scope="session")
def fuzz_stats():
    return _STATS


def pytest_terminal_summary(terminalreporter):
    if _STATS.requests:
        terminalreporter.write_line(_STATS.summary())
