"""Who may call each API endpoint: one row per endpoint and method, naming the minimum caller.

Each row of ``ROWS`` says who the endpoint serves (``who``) and what it answers them (``ok``); the
answer for every caller of ``CALLERS`` follows from ``expected``:

- ``anonymous``: everybody, signed in or not; ``signed-in``: any signed-in user (others get 401).
- a role (``viewer`` < ``member`` < ``admin`` < ``owner``): members of the organization with at
  least that role; lower roles get 403, a user of another organization 404 (the API does not
  confirm that an organization they are not in exists), superusers pass.
- ``superuser``: superusers only (403 for everyone else signed in).
- ``self``: the object is the member's own (their notification, their session): 404 for others.
- ``addressee``: an invitation sent to the outsider: 403 for everyone else signed in.
- ``non-member``: an invitation sent to the caller: 409 for callers already in the organization.
- ``nobody``: an invitation sent to someone else: 403 for every signed-in caller.
- ``author``: the member's own comment, which only its author edits: 403 for everyone else in the
  organization (superusers included), 404 for outsiders.

Each row also names the ``scope`` a delegated credential (a personal access token, an OAuth access
token: ``config.credentials``) needs for it, or None when no scope opens it to one (it manages the
person's credentials, sessions, tokens or account: only their own session may call it); ``ANY_SCOPE``:
any delegated credential. ``test_delegated_*`` check each row with tokens of the caller the row
serves: with exactly its scope it answers as to the session; with every other scope 403
``insufficient_scope`` (a public endpoint that reads no credential answers as to anyone); limited to
another of the caller's organizations, 404 on the rows of a role.

A new role is one entry of ``CALLERS`` (and of ``organizations.models.Role``); a new endpoint is
one row. ``test_every_endpoint_is_in_the_matrix`` walks the URL configuration: an endpoint or a
method without a row fails the suite. Each case runs against a fresh world (organization Alpha
with one user per role, a task, invitations, an import job, a report export...; organization Beta
whose owner is the ``outsider``).
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView

from config.credentials import SCOPES
from config.permissions import ANY_SCOPE
from config.signed_links import signed_link_token
from organizations.models import Membership, Role
from privacy.serializers import SIGNED_DOWNLOAD_PURPOSE as DATA_EXPORT_PURPOSE
from reports.serializers import SIGNED_DOWNLOAD_PURPOSE
from tests.factories import (
    CLIENT_SECRET,
    DEFAULT_PASSWORD,
    MEMBER_ROLES,
    ApplicationFactory,
    DataExportFactory,
    ImportJobFactory,
    InvitationFactory,
    MembershipFactory,
    NotificationFactory,
    OAuthGrantFactory,
    OrganizationFactory,
    PersonalAccessTokenFactory,
    ReportExportFactory,
    SocialIdentityFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
    make_org_with_roles,
)
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

CALLERS = [*MEMBER_ROLES, "outsider", "anonymous", "superuser"]
API = "/api/v1"
# Documentation pages: public by design, tested in tests/config/test_middleware.py.
NOT_IN_MATRIX = {"schema", "swagger-ui", "redoc"}
# The error code each refusal carries.
REFUSAL_CODES = {
    401: {"not_authenticated"},
    403: {"permission_denied", "invitation_email_mismatch", "insufficient_scope"},
    404: {"not_found"},
    409: {"conflict"},
}


def _by_role(who: str, ok: int, caller: str) -> int:
    if caller == "superuser":
        return ok
    if caller == "outsider":
        return 404
    return ok if Role.from_label(caller) >= Role.from_label(who) else 403


# The non-role rules: who gets ``ok``, and what everyone else signed in gets.
_SPECIAL_RULES = {
    "superuser": (lambda caller: caller == "superuser", 403),
    "self": (lambda caller: caller == "member", 404),
    "addressee": (lambda caller: caller == "outsider", 403),
    "non-member": (lambda caller: caller not in MEMBER_ROLES, 409),
    "nobody": (lambda caller: False, 403),
    # The member wrote it: only they may (admins and superusers included get 403); outsiders see nothing (404).
    "author": (lambda caller: caller == "member", lambda caller: 404 if caller == "outsider" else 403),
}


def expected(who: str, ok: int, caller: str) -> int:
    """The status ``caller`` gets from an endpoint that answers ``ok`` to ``who`` (see the module docstring)."""
    if caller == "anonymous":
        return ok if who == "anonymous" else 401
    if who in ("anonymous", "signed-in"):
        return ok
    if who in MEMBER_ROLES:
        return _by_role(who, ok, caller)
    if who not in _SPECIAL_RULES:
        raise ValueError(f"unknown rule {who!r}")
    allowed, refusal = _SPECIAL_RULES[who]
    if allowed(caller):
        return ok
    return refusal(caller) if callable(refusal) else refusal


@dataclass
class World:
    """Organization Alpha (one user per role, plus a target member), Beta (the outsider's), and Alpha's objects."""

    org: object
    users: dict
    target: object
    task: object
    invitation: object
    invitation_for_outsider: object
    caller: object = None  # who sends the request (None: anonymous)
    objects: dict = field(default_factory=dict)

    @property
    def id(self):
        return self.org.id


def build_world(client_for) -> World:
    from tasks_app.services import task_create

    org = make_org_with_roles(name="Alpha")
    other = make_org_with_roles(name="Beta")
    users = {**org.users, "outsider": other.owner, "superuser": UserFactory(is_superuser=True, is_staff=True)}
    world = World(
        org=org,
        users=users,
        target=MembershipFactory(organization=org.organization, role=Role.MEMBER).user,
        task=task_create(organization=org.organization, created_by=org.member, title="Alpha task", assignee=org.member),
        invitation=InvitationFactory(organization=org.organization, invited_by=org.admin),
        invitation_for_outsider=InvitationFactory(organization=org.organization, email=other.owner.email),
    )
    world.objects.update(
        job=ImportJobFactory(organization=org.organization, created_by=org.admin),
        export=ReportExportFactory(organization=org.organization, requested_by=org.member),
        notification=NotificationFactory(recipient=org.member, organization=org.organization),
        member_session=client_for(org.member).session_row,
        identity=SocialIdentityFactory(user=org.member, provider="github"),
        member_token=PersonalAccessTokenFactory(user=org.member, organizations=[org.organization]),
        oauth_grant=OAuthGrantFactory(user=org.member, organizations=[org.organization]),
        oauth_confidential_client=ApplicationFactory(client_credentials=True),
        webhook=WebhookEndpointFactory(organization=org.organization),
    )
    world.objects["webhook_delivery"] = WebhookDeliveryFactory(endpoint=world.objects["webhook"], state="failed")
    return world


def multipart_csv():
    return {"file": ContentFile(b"title\nImported\n", name="tasks.csv"), "kind": "tasks", "mode": "skip_invalid"}


def invitation_to_caller(w: World):
    if w.caller == w.users["outsider"]:  # one pending invitation per address: the world's own
        return w.invitation_for_outsider
    email = w.caller.email if w.caller else "someone@example.com"
    return InvitationFactory(organization=w.org.organization, invited_by=w.org.owner, email=email)


@dataclass(frozen=True)
class Row:
    name: str  # the URL name
    method: str
    who: str  # the minimum caller: a role, or one of the rules of the module docstring
    ok: int  # what the endpoint answers those it serves
    build: object  # World -> (path, body) or (path, body, "multipart")
    case: str = ""  # tells apart rows of one endpoint and method
    scope: str | None = None  # what a delegated credential needs: a scope, ANY_SCOPE, or None (never one)

    @property
    def label(self) -> str:
        return f"{self.method} {self.name}" + (f" ({self.case})" if self.case else "")


def own_data_export(w: World, path: str):
    """A built data export of the caller's own (there is no id in these URLs: each person reaches only theirs)."""
    if w.caller is not None:
        DataExportFactory(user=w.caller, built=True)
    return path, None


def signed_export_link(w: World) -> str:
    export = w.objects["export"]
    token = signed_link_token(purpose=SIGNED_DOWNLOAD_PURPOSE, subject=export.pk, user_id=w.users["viewer"].pk)
    return f"reports/exports/{export.pk}/signed-download?token={token}"


def signed_data_export_link(w: World) -> str:
    export = DataExportFactory(user=w.users["viewer"], built=True)
    token = signed_link_token(purpose=DATA_EXPORT_PURPOSE, subject=export.pk, user_id=export.user_id)
    return f"users/me/export/signed-download?token={token}"


def in_a_month() -> str:
    return (timezone.now() + timedelta(days=30)).isoformat()


def caller_organization_ids(user) -> list:
    return list(Membership.objects.filter(user=user).values_list("organization_id", flat=True))


def new_token(w):
    """A token for the caller's organizations (one of their own for a superuser who belongs to none)."""
    organizations = caller_organization_ids(w.caller) if w.caller else []
    if w.caller and not organizations:
        organizations = [MembershipFactory(user=w.caller).organization_id]
    body = {"name": "ci", "scopes": ["tasks:read"], "expires_at": in_a_month()}
    return "users/me/tokens", {**body, "organizations": [str(pk) for pk in organizations]}


def oauth_client_form(w: World, path: str, **fields):
    """A form a confidential client posts to the token, revocation or introspection endpoint, with its
    credentials: the same answer whoever else the request also names (these endpoints know clients only)."""
    client = w.objects["oauth_confidential_client"]
    return path, {"client_id": client.client_id, "client_secret": CLIENT_SECRET, **fields}, "multipart"


def members_comment(w: World):
    from tasks_app.services import comment_create

    return comment_create(task=w.task, author=w.users["member"], body="Mine")


def deleted_task(w: World):
    from tasks_app.services import task_delete

    task_delete(task=w.task, actor=w.users["member"])
    return w.task


def deleted_comment(w: World):
    from tasks_app.services import comment_delete

    comment = members_comment(w)
    comment_delete(comment=comment, actor=w.users["member"])
    return comment


def deleted_organization(w: World):
    from organizations.services import organization_delete

    organization_delete(organization=w.org.organization, actor=None)
    return f"organizations/{w.id}/restore", None


def new_account(w):
    tag = uuid.uuid4().hex[:8]
    return "auth/register", {"email": f"{tag}@example.com", "username": f"u{tag}", "password": "plum-tractor-88"}


ROWS = [
    # Accounts and sessions.
    Row("auth-register", "POST", "anonymous", 201, new_account),
    Row("auth-login", "POST", "anonymous", 200,
        lambda w: ("auth/login", {"email": w.users["member"].email, "password": DEFAULT_PASSWORD})),
    Row("auth-refresh", "POST", "anonymous", 401, lambda w: ("auth/refresh", {"refresh": "not-a-token"})),
    Row("auth-logout", "POST", "signed-in", 204, lambda w: ("auth/logout", None)),
    Row("auth-logout-all", "POST", "signed-in", 200, lambda w: ("auth/logout-all", None)),
    Row("auth-password-change", "POST", "signed-in", 400,
        lambda w: ("auth/password/change", {"old_password": "wrong", "new_password": "plum-tractor-88"})),
    Row("auth-reauthenticate", "POST", "signed-in", 400, lambda w: ("auth/reauthenticate", {"password": "wrong"})),
    Row("auth-password-reset", "POST", "anonymous", 202, lambda w: ("auth/password/reset", {"email": "x@example.com"})),
    Row("auth-password-reset-confirm", "POST", "anonymous", 400,
        lambda w: ("auth/password/reset/confirm", {"token": "bad", "new_password": "plum-tractor-88"})),
    # The token (or the email and code) is the credential; signed in or not alike.
    Row("auth-email-verify", "POST", "anonymous", 400, lambda w: ("auth/email/verify", {"token": "not-a-token"})),
    # By email: answered alike whoever asks and whether or not an account waits (signed in without an
    # email: one's own, tests/accounts/test_email_verification.py).
    Row("auth-email-resend", "POST", "anonymous", 202,
        lambda w: ("auth/email/resend", {"email": "someone@example.com"})),
    Row("user-create", "POST", "superuser", 201,
        lambda w: ("users", {"email": "made@example.com", "username": "made_by_su", "password": "plum-tractor-88"})),
    Row("user-me", "GET", "signed-in", 200, lambda w: ("users/me", None), scope="profile"),
    Row("user-me", "PATCH", "signed-in", 200, lambda w: ("users/me", {"full_name": "Renamed"})),
    # A wrong password: 400 for every signed-in caller (tests/privacy test the deletion itself).
    Row("user-me", "DELETE", "signed-in", 400, lambda w: ("users/me", {"password": "wrong"})),
    Row("user-security-events", "GET", "signed-in", 200, lambda w: ("users/me/security-events", None)),
    Row("user-export", "GET", "signed-in", 200, lambda w: own_data_export(w, "users/me/export")),
    Row("user-export", "POST", "signed-in", 202, lambda w: ("users/me/export", None)),
    Row("user-export-download", "GET", "signed-in", 200, lambda w: own_data_export(w, "users/me/export/download")),
    # The signed link is the credential, whoever sends it (here the viewer's link to their built export).
    Row("user-export-signed-download", "GET", "anonymous", 200, lambda w: (signed_data_export_link(w), None)),
    # Second factor: the caller's own (none yet in the world, hence the conflicts).
    Row("auth-login-mfa", "POST", "anonymous", 401,
        lambda w: ("auth/login/mfa", {"mfa_token": "not-a-token", "code": "123456"})),
    Row("user-mfa", "GET", "signed-in", 200, lambda w: ("users/me/mfa", None)),
    Row("user-mfa-totp", "POST", "signed-in", 201, lambda w: ("users/me/mfa/totp", None)),
    Row("user-mfa-totp", "DELETE", "signed-in", 409, lambda w: ("users/me/mfa/totp", None)),
    Row("user-mfa-totp-confirm", "POST", "signed-in", 409, lambda w: ("users/me/mfa/totp/confirm", {"code": "123456"})),
    Row("user-mfa-recovery-codes", "POST", "signed-in", 409, lambda w: ("users/me/mfa/recovery-codes", None)),
    # Another user's profile: seen by the people who share an organization with them.
    Row("user-detail", "GET", "viewer", 200, lambda w: (f"users/{w.users['member'].pk}", None), scope="members:read"),
    Row("notification-list", "GET", "signed-in", 200, lambda w: ("notifications", None), scope="tasks:read"),
    Row("notification-read-all", "POST", "signed-in", 200,
        lambda w: ("notifications/read-all", None), scope="tasks:write"),
    Row("notification-read", "POST", "self", 200,
        lambda w: (f"notifications/{w.objects['notification'].pk}/read", None), scope="tasks:write"),
    # The live stream: any signed-in person (what it carries is filtered per event, tests/live/).
    Row("event-stream", "GET", "signed-in", 200, lambda w: ("events", None), scope="tasks:read"),
    Row("event-ticket", "POST", "signed-in", 201, lambda w: ("events/tickets", None)),
    Row("session-list", "GET", "signed-in", 200, lambda w: ("sessions", None)),
    Row("session-detail", "DELETE", "self", 204, lambda w: (f"sessions/{w.objects['member_session'].pk}", None)),
    Row("admin-session-list", "GET", "superuser", 200, lambda w: ("admin/sessions", None)),
    # Single sign-on. No provider is configured here: its endpoints answer 404 to whoever may call them.
    Row("sso-provider-list", "GET", "anonymous", 200, lambda w: ("oauth/providers", None)),
    Row("api-root", "GET", "anonymous", 200, lambda w: ("", None)),
    Row("sso-authorize", "GET", "anonymous", 404,
        lambda w: ("oauth/authorize/github?redirect_uri=http://localhost:3000/sso/callback", None)),
    Row("sso-callback", "POST", "anonymous", 404, lambda w: ("oauth/callback/github", {"code": "c", "state": "s"})),
    Row("sso-reauthenticate", "POST", "signed-in", 404,
        lambda w: ("oauth/reauthenticate/github", {"redirect_uri": "http://localhost:3000/sso/callback"})),
    Row("user-identity-list", "GET", "signed-in", 200, lambda w: ("users/me/identities", None)),
    Row("user-identity-link", "POST", "signed-in", 404,
        lambda w: ("users/me/identities/github", {"redirect_uri": "http://localhost:3000/sso/callback"})),
    Row("user-identity-detail", "DELETE", "self", 204,
        lambda w: (f"users/me/identities/{w.objects['identity'].pk}", None)),
    # Personal access tokens: one's own, and those reaching an organization (its admins').
    Row("user-token-list", "GET", "signed-in", 200, lambda w: ("users/me/tokens", None)),
    Row("user-token-list", "POST", "signed-in", 201, new_token),
    Row("user-token-detail", "DELETE", "self", 204,
        lambda w: (f"users/me/tokens/{w.objects['member_token'].pk}", None)),
    Row("organization-token-list", "GET", "admin", 200, lambda w: (f"organizations/{w.id}/tokens", None)),
    Row("organization-token-detail", "DELETE", "admin", 204,
        lambda w: (f"organizations/{w.id}/tokens/{w.objects['member_token'].pk}", None)),
    # The OAuth authorization server (oauth_server). Its protocol endpoints know clients, not the caller's
    # session: the same answer to everyone (tests/oauth_server test the protocol). The authorization page
    # wants the browser's sign-in (a Django session cookie), so API callers are sent to sign in.
    Row("authorize", "GET", "anonymous", 302, lambda w: ("oauth/provider/authorize?response_type=code", None)),
    Row("authorize", "POST", "anonymous", 302, lambda w: ("oauth/provider/authorize", None)),
    Row("token", "POST", "anonymous", 200,
        lambda w: oauth_client_form(w, "oauth/provider/token", grant_type="client_credentials")),
    Row("revoke-token", "POST", "anonymous", 200,
        lambda w: oauth_client_form(w, "oauth/provider/revoke", token="not-a-token")),
    Row("introspect", "POST", "anonymous", 200,
        lambda w: oauth_client_form(w, "oauth/provider/introspect", token="not-a-token")),
    Row("dcr-register", "POST", "anonymous", 201,
        lambda w: ("oauth/provider/register", {"redirect_uris": ["http://127.0.0.1/callback"]})),
    Row("jwks-info", "GET", "anonymous", 200, lambda w: ("oauth/provider/jwks", None)),
    Row("sign-in", "GET", "anonymous", 200, lambda w: ("oauth/provider/login", None)),
    Row("sign-in", "POST", "anonymous", 302,
        lambda w: ("oauth/provider/login", {"identifier": w.users["member"].email, "password": DEFAULT_PASSWORD},
                   "multipart")),
    Row("signed-in", "GET", "anonymous", 200, lambda w: ("oauth/provider/signed-in", None)),
    Row("user-authorization-list", "GET", "signed-in", 200, lambda w: ("users/me/authorizations", None)),
    Row("user-authorization-detail", "DELETE", "self", 204,
        lambda w: (f"users/me/authorizations/{w.objects['oauth_grant'].pk}", None)),
    Row("organization-authorization-list", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/authorizations", None)),
    Row("organization-authorization-detail", "DELETE", "admin", 204,
        lambda w: (f"organizations/{w.id}/authorizations/{w.objects['oauth_grant'].pk}", None)),
    # Organizations, members, invitations.
    Row("organization-list", "GET", "signed-in", 200, lambda w: ("organizations", None), scope=ANY_SCOPE),
    Row("organization-list", "POST", "signed-in", 201, lambda w: ("organizations", {"name": "New venture"})),
    Row("organization-detail", "GET", "viewer", 200, lambda w: (f"organizations/{w.id}", None), scope=ANY_SCOPE),
    Row("organization-detail", "PATCH", "admin", 200,
        lambda w: (f"organizations/{w.id}", {"name": "Renamed"}), scope="org:admin"),
    Row("organization-detail", "DELETE", "owner", 204,
        lambda w: (f"organizations/{w.id}", {"password": DEFAULT_PASSWORD, "name": "Alpha"})),
    # Deleted organizations: their owners' (at deletion) to restore, through their own session only.
    Row("organization-deleted-list", "GET", "signed-in", 200, lambda w: ("organizations/deleted", None)),
    Row("organization-restore", "POST", "owner", 200, deleted_organization),
    Row("membership-list", "GET", "viewer", 200,
        lambda w: (f"organizations/{w.id}/members", None), scope="members:read"),
    Row("membership-list", "POST", "admin", 201,
        lambda w: (f"organizations/{w.id}/members", {"email": UserFactory().email, "role": "member"}),
        scope="org:admin"),
    Row("membership-detail", "GET", "viewer", 200,
        lambda w: (f"organizations/{w.id}/members/{w.target.pk}", None), scope="members:read"),
    Row("membership-detail", "PATCH", "admin", 200,
        lambda w: (f"organizations/{w.id}/members/{w.target.pk}", {"role": "viewer"}), scope="org:admin"),
    Row("membership-detail", "DELETE", "admin", 204,
        lambda w: (f"organizations/{w.id}/members/{w.target.pk}", None), scope="org:admin"),
    Row("invitation-list", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/invitations", None), scope="org:admin"),
    Row("invitation-list", "POST", "admin", 201,
        lambda w: (f"organizations/{w.id}/invitations", {"email": "new-person@example.com", "role": "member"}),
        scope="org:admin"),
    Row("invitation-detail", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}", None), scope="org:admin"),
    Row("invitation-detail", "DELETE", "admin", 204,
        lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}", None), scope="org:admin"),
    Row("invitation-resend", "POST", "admin", 200,
        lambda w: (f"organizations/{w.id}/invitations/{w.invitation.pk}/resend", None), scope="org:admin"),
    Row("invitation-by-token", "GET", "anonymous", 200, lambda w: (f"invitations/{w.invitation.token}", None)),
    Row("invitation-accept", "POST", "addressee", 200,
        lambda w: (f"invitations/{w.invitation_for_outsider.token}/accept", None), case="sent to the outsider"),
    Row("invitation-accept", "POST", "non-member", 200,
        lambda w: (f"invitations/{invitation_to_caller(w).token}/accept", None), case="sent to the caller"),
    Row("invitation-accept", "POST", "nobody", 200,
        lambda w: (f"invitations/{InvitationFactory(organization=w.org.organization).token}/accept", None),
        case="sent to someone else"),
    # Tasks.
    Row("task-list", "GET", "signed-in", 200, lambda w: ("tasks", None), scope="tasks:read"),
    Row("task-list", "POST", "member", 201,
        lambda w: ("tasks", {"organization": str(w.id), "title": "New"}), scope="tasks:write"),
    Row("task-bulk", "POST", "member", 200,
        lambda w: ("tasks/bulk", {"organization": str(w.id), "ids": [str(w.task.pk)], "change": {"priority": "low"}}),
        scope="tasks:write"),
    Row("task-assigned", "GET", "signed-in", 200, lambda w: ("tasks/assigned", None), scope="tasks:read"),
    Row("task-mentioned", "GET", "signed-in", 200, lambda w: ("tasks/mentioned", None), scope="tasks:read"),
    Row("task-detail", "GET", "viewer", 200, lambda w: (f"tasks/{w.task.pk}", None), scope="tasks:read"),
    Row("task-detail", "PATCH", "member", 200,
        lambda w: (f"tasks/{w.task.pk}", {"title": "Renamed"}), scope="tasks:write"),
    Row("task-detail", "DELETE", "member", 204, lambda w: (f"tasks/{w.task.pk}", None), scope="tasks:write"),
    Row("task-comments", "GET", "viewer", 200, lambda w: (f"tasks/{w.task.pk}/comments", None), scope="tasks:read"),
    Row("task-comments", "POST", "member", 201,
        lambda w: (f"tasks/{w.task.pk}/comments", {"body": "Hi"}), scope="comments:write"),
    Row("task-activity", "GET", "viewer", 200, lambda w: (f"tasks/{w.task.pk}/activity", None), scope="tasks:read"),
    # The member wrote the comment: its author (and admins) may delete it; another member may not (403).
    Row("task-comment-detail", "PATCH", "author", 200,
        lambda w: (f"tasks/{w.task.pk}/comments/{members_comment(w).pk}", {"body": "Edited"}),
        scope="comments:write"),
    Row("task-comment-detail", "DELETE", "member", 204,
        lambda w: (f"tasks/{w.task.pk}/comments/{members_comment(w).pk}", None), scope="comments:write"),
    # The trash: the member created the task and wrote the comment (creators and admins restore).
    Row("trash-list", "GET", "viewer", 200, lambda w: (f"organizations/{w.id}/trash", None), scope="tasks:read"),
    Row("trash-task-restore", "POST", "member", 200,
        lambda w: (f"organizations/{w.id}/trash/tasks/{deleted_task(w).pk}/restore", None), scope="tasks:write"),
    Row("trash-comment-restore", "POST", "member", 200,
        lambda w: (f"organizations/{w.id}/trash/comments/{deleted_comment(w).pk}/restore", None),
        scope="comments:write"),
    # Imports.
    Row("import-list", "GET", "admin", 200, lambda w: (f"organizations/{w.id}/imports", None), scope="org:admin"),
    Row("import-list", "POST", "admin", 202,
        lambda w: (f"organizations/{w.id}/imports", multipart_csv(), "multipart"), scope="org:admin"),
    Row("import-detail", "GET", "admin", 200, lambda w: (f"imports/{w.objects['job'].pk}", None), scope="org:admin"),
    Row("import-status", "GET", "admin", 200,
        lambda w: (f"imports/{w.objects['job'].pk}/status", None), scope="org:admin"),
    Row("import-errors", "GET", "admin", 200,
        lambda w: (f"imports/{w.objects['job'].pk}/errors", None), scope="org:admin"),
    Row("import-cancel", "POST", "admin", 200,
        lambda w: (f"imports/{w.objects['job'].pk}/cancel", None), scope="org:admin"),
    # Organization webhooks (deliveries go to an https URL that is never reached: tasks run on commit only).
    Row("webhook-list", "GET", "admin", 200, lambda w: (f"organizations/{w.id}/webhooks", None), scope="org:admin"),
    Row("webhook-list", "POST", "admin", 201,
        lambda w: (f"organizations/{w.id}/webhooks", {"url": "https://hooks.example.com/new", "events": ["*"]}),
        scope="org:admin"),
    Row("webhook-detail", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}", None), scope="org:admin"),
    Row("webhook-detail", "PATCH", "admin", 200,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}", {"description": "CI"}),
        scope="org:admin"),
    Row("webhook-detail", "DELETE", "admin", 204,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}", None), scope="org:admin"),
    Row("webhook-rotate-secret", "POST", "admin", 200,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}/rotate-secret", None),
        scope="org:admin"),
    Row("webhook-ping", "POST", "admin", 202,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}/ping", None), scope="org:admin"),
    Row("webhook-deliveries", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}/deliveries", None),
        scope="org:admin"),
    Row("webhook-delivery-redeliver", "POST", "admin", 202,
        lambda w: (f"organizations/{w.id}/webhooks/{w.objects['webhook'].pk}/deliveries/"
                   f"{w.objects['webhook_delivery'].pk}/redeliver", None), scope="org:admin"),
    # Reports.
    Row("report-summary", "GET", "viewer", 200,
        lambda w: (f"reports/{w.id}?from=2030-01-01&to=2030-01-31", None), scope="reports:read"),
    Row("report-export-list", "GET", "viewer", 200, lambda w: (f"reports/{w.id}/exports", None), scope="reports:read"),
    Row("report-export-list", "POST", "viewer", 202,
        lambda w: (f"reports/{w.id}/exports", {"format": "csv", "from": "2030-01-01", "to": "2030-01-31"}),
        scope="reports:read"),
    Row("report-settings", "GET", "viewer", 200, lambda w: (f"reports/{w.id}/settings", None), scope="reports:read"),
    Row("report-settings", "PATCH", "admin", 200,
        lambda w: (f"reports/{w.id}/settings", {"weekly_email": True}), scope="org:admin"),
    # The organization's audit log (admins; read-only).
    Row("organization-audit-log", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/audit-log", None), scope="org:admin"),
    Row("organization-audit-log-export", "GET", "admin", 200,
        lambda w: (f"organizations/{w.id}/audit-log/export", None), scope="org:admin"),
    Row("report-export-detail", "GET", "viewer", 200,
        lambda w: (f"reports/exports/{w.objects['export'].pk}", None), scope="reports:read"),
    # Not built yet: a conflict, for everyone who may see the export.
    Row("report-export-download", "GET", "viewer", 409,
        lambda w: (f"reports/exports/{w.objects['export'].pk}/download", None), scope="reports:read"),
    # The signed link is the credential, whoever sends it (here a viewer's link, of the export not built yet).
    Row("report-export-signed-download", "GET", "anonymous", 409, lambda w: (signed_export_link(w), None)),
]  # fmt: skip

CASES = [
    pytest.param(row, caller, expected(row.who, row.ok, caller), id=f"{row.label} as {caller}")
    for row in ROWS
    for caller in CALLERS
]


def api_endpoints() -> set[tuple[str, str]]:
    """(URL name, METHOD) of every endpoint under /api/v1/, from the URL configuration."""
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            if not isinstance(pattern, URLPattern) or not (prefix + str(pattern.pattern)).startswith("api/v1/"):
                continue
            if pattern.name in NOT_IN_MATRIX:
                continue
            callback = pattern.callback
            actions = getattr(callback, "actions", None)
            # DRF views carry ``cls``, plain Django views (the OAuth protocol endpoints) ``view_class``.
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            if actions:
                # DRF adds "head" to a viewset's actions on its first GET: not an endpoint of ours.
                methods = set(actions) - {"head", "options"}
            elif view is not None:
                methods = {m for m in view.http_method_names if hasattr(view, m)} - {"options", "head"}
            else:
                methods = {"get"}
            found.update((pattern.name, method.upper()) for method in methods)

    walk(get_resolver().url_patterns)
    return found


def test_every_endpoint_is_in_the_matrix():
    endpoints = api_endpoints()
    in_matrix = {(row.name, row.method) for row in ROWS}
    assert endpoints - in_matrix == set(), "endpoints without a row in the authorization matrix"
    assert in_matrix - endpoints == set(), "rows for endpoints that no longer exist"


def test_rows_are_unique():
    labels = [row.label for row in ROWS]
    assert len(labels) == len(set(labels))


def test_matrix_size():
    endpoints = {(row.name, row.method) for row in ROWS}
    print(f"\nauthorization matrix: {len(endpoints)} endpoint-methods, {len(ROWS)} rows, {len(CASES)} cases")
    assert len(CASES) == len(ROWS) * len(CALLERS)


@pytest.mark.parametrize(("row", "caller", "status"), CASES)
def test_authorization(api_client, client_for, django_capture_on_commit_callbacks, row, caller, status):
    world = build_world(client_for)
    world.caller = None if caller == "anonymous" else world.users[caller]
    path, body, *kind = row.build(world)
    client = api_client if world.caller is None else client_for(world.caller)
    options = {"format": "multipart"} if kind == ["multipart"] else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, row.method.lower())(f"{API}/{path}", body, **options)
    assert response.status_code == status, response.content[:500]
    if status < 400:
        return
    body = assert_error(response, status)
    if status != row.ok:  # a refusal: it says why
        assert {error["code"] for error in body["errors"]} & REFUSAL_CODES[status], body


# Delegated credentials. The caller each row serves, who holds the token: the row's role, or for the
# other rules the caller they let through (a member for "signed-in", "self" and public rows).
DELEGATED_CALLER = {
    "anonymous": "member",
    "signed-in": "member",
    "self": "member",
    "superuser": "superuser",
    "addressee": "outsider",
    "non-member": "outsider",
    "nobody": "member",
    "author": "member",
}


def delegated_caller(row: Row) -> str:
    return row.who if row.who in MEMBER_ROLES else DELEGATED_CALLER[row.who]


def token_client(user, scopes, organizations) -> APIClient:
    token = PersonalAccessTokenFactory(user=user, scopes=sorted(scopes), organizations=list(organizations))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    return client


def reads_no_credential(path: str) -> bool:
    """A public endpoint without authentication (sign-in, registration), or a plain Django view (the OAuth
    protocol endpoints, which know clients and browser sign-ins): a bearer token there is not even read."""
    func = resolve(f"{API}/{path}".split("?")[0]).func
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    if view is None or not issubclass(view, APIView):
        return True
    return view.authentication_classes == []


def run_delegated(row, client_for, capture, *, scopes, organizations=None):
    world = build_world(client_for)
    caller = delegated_caller(row)
    world.caller = world.users[caller]
    path, body, *kind = row.build(world)
    if organizations is None:
        organizations = caller_organization_ids(world.caller)
    client = token_client(world.caller, scopes, organizations)
    options = {"format": "multipart"} if kind == ["multipart"] else {}
    with capture(execute=True):
        response = getattr(client, row.method.lower())(f"{API}/{path}", body, **options)
    return caller, path, response


SCOPED_ROWS = [pytest.param(row, id=row.label) for row in ROWS if row.scope is not None]
ROLE_ROWS = [pytest.param(row, id=row.label) for row in ROWS if row.scope is not None and row.who in MEMBER_ROLES]
DENYING_ROWS = [pytest.param(row, id=row.label) for row in ROWS if row.scope != ANY_SCOPE]


def test_rows_name_scopes_of_the_catalogue():
    assert {row.scope for row in ROWS} - {*SCOPES, ANY_SCOPE, None} == set()


@pytest.mark.parametrize("row", SCOPED_ROWS)
def test_delegated_with_exactly_the_scope_answers_as_the_session(client_for, django_capture_on_commit_callbacks, row):
    scopes = {"profile"} if row.scope == ANY_SCOPE else {row.scope}
    caller, _path, response = run_delegated(row, client_for, django_capture_on_commit_callbacks, scopes=scopes)
    assert response.status_code == expected(row.who, row.ok, caller), response.content[:500]


@pytest.mark.parametrize("row", DENYING_ROWS)
def test_delegated_with_every_other_scope_is_refused(client_for, django_capture_on_commit_callbacks, row):
    scopes = set(SCOPES) - {row.scope}
    _caller, path, response = run_delegated(row, client_for, django_capture_on_commit_callbacks, scopes=scopes)
    if row.scope is None and reads_no_credential(path):
        assert response.status_code == expected(row.who, row.ok, "anonymous"), response.content[:500]
        return
    body = assert_error(response, 403, "insufficient_scope")
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="insufficient_scope"'), body
    if row.scope is not None:
        assert f'scope="{row.scope}"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("row", ROLE_ROWS)
def test_delegated_limited_to_another_organization_finds_nothing(client_for, django_capture_on_commit_callbacks, row):
    scopes = {"profile"} if row.scope == ANY_SCOPE else {row.scope}
    elsewhere = OrganizationFactory(name="Gamma")

    world = build_world(client_for)
    world.caller = world.users[row.who]
    MembershipFactory(organization=elsewhere, user=world.caller, role=Role.from_label(row.who))
    path, body, *kind = row.build(world)
    client = token_client(world.caller, scopes, [elsewhere.pk])
    options = {"format": "multipart"} if kind == ["multipart"] else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, row.method.lower())(f"{API}/{path}", body, **options)
    assert_error(response, 404, "not_found")
