"""``/users/me/tokens``: a person makes a token, sees its secret once, lists and revokes tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from pats.models import PersonalAccessToken
from pats.tokens import TOKEN_PATTERN, token_hash
from tests.factories import MembershipFactory, OrganizationFactory, PersonalAccessTokenFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/users/me/tokens"


def in_days(days):
    return (timezone.now() + timedelta(days=days)).isoformat()


@pytest.fixture
def org():
    return make_org_with_roles(name="Alpha")


@pytest.fixture
def member_client(client_for, org):
    return client_for(org.member)


def create(client, org, **fields):
    body = {"name": "CI script", "scopes": ["tasks:read"], "organizations": [str(org.id)], "expires_at": in_days(30)}
    return client.post(URL, {**body, **fields})


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(member_client, org):
    response = create(member_client, org)
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert TOKEN_PATTERN.fullmatch(secret)
    assert body["token_prefix"] == secret[:12]
    assert body["scopes"] == ["tasks:read"]
    assert [o["id"] for o in body["organizations"]] == [str(org.id)]
    token = PersonalAccessToken.objects.get(pk=body["id"])
    assert token.token_hash == token_hash(secret)
    assert secret not in str(PersonalAccessToken.objects.filter(pk=token.pk).values().get())

    listed = member_client.get(URL).json()["data"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]
    assert "token_hash" not in listed[0]
    assert set(listed[0]) >= {"last_used_at", "last_used_ip", "scopes", "organizations", "expires_at"}

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_CREATED)
    assert event.user == org.member
    assert event.data["token_id"] == body["id"]
    assert secret not in str(event.data)


def test_the_new_token_works_at_once(member_client, api_client, org):
    secret = create(member_client, org, scopes=["tasks:read"]).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get("/api/v1/tasks").status_code == 200


def test_all_organizations_means_every_one_the_person_belongs_to_now(member_client, org):
    other = MembershipFactory(user=org.member).organization
    body = create(member_client, org, organizations=[], all_organizations=True).json()
    assert {o["id"] for o in body["organizations"]} == {str(org.id), str(other.pk)}
    MembershipFactory(user=org.member)  # joined later: not reached
    assert PersonalAccessToken.objects.get(pk=body["id"]).organizations.count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"scopes": ["tasks:everything"]}, "scopes.0", "invalid_choice"),
        ({"scopes": []}, "scopes", "min_length"),
        ({"organizations": []}, "organizations", "required"),
        ({"expires_at": None}, "expires_at", "null"),
        ({"expires_at": in_days(-1)}, "expires_at", "invalid"),
        ({"expires_at": in_days(366)}, "expires_at", "expiry_too_far"),
    ],
)
def test_a_token_needs_scopes_organizations_and_an_expiry_within_a_year(member_client, org, fields, field, code):
    body = assert_error(create(member_client, org, **fields), 400, code)
    assert field in {error["field"] for error in body["errors"]}


def test_only_ones_own_organizations(member_client, org):
    body = assert_error(create(member_client, org, organizations=[str(OrganizationFactory().pk)]), 400, "not_a_member")
    assert body["errors"][0]["field"] == "organizations"
    assert not PersonalAccessToken.objects.exists()


def test_org_admin_may_be_asked_by_a_member_but_the_role_still_limits_it(member_client, api_client, org):
    secret = create(member_client, org, scopes=["org:admin", "members:read"]).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    invite = api_client.post(
        f"/api/v1/organizations/{org.id}/invitations", {"email": "x@example.com", "role": "member"}
    )
    assert_error(invite, 403, "permission_denied")


def test_revoking_a_token_ends_it_at_once(member_client, api_client, org):
    body = create(member_client, org).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert api_client.get("/api/v1/tasks").status_code == 200

    assert member_client.delete(f"{URL}/{body['id']}").status_code == 204
    response = api_client.get("/api/v1/tasks")
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert member_client.get(URL).json()["data"] == []
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED)
    assert event.user == event.actor == org.member
    assert event.data["reason"] == "owner"


def test_anothers_token_is_not_found(member_client, org):
    theirs = PersonalAccessTokenFactory(user=org.admin, organizations=[org.organization])
    assert_error(member_client.delete(f"{URL}/{theirs.pk}"), 404, "not_found")
    assert PersonalAccessToken.objects.get(pk=theirs.pk).revoked_at is None


def test_a_token_never_makes_lists_or_revokes_tokens(client_with_token, org):
    every_scope = [
        "profile",
        "tasks:read",
        "tasks:write",
        "comments:write",
        "members:read",
        "reports:read",
        "org:admin",
    ]
    client = client_with_token(org.owner, scopes=every_scope, organizations=[org.organization])
    for response in (
        create(client, org),
        client.get(URL),
        client.delete(f"{URL}/{client.token.pk}"),
        client.get(f"/api/v1/organizations/{org.id}/tokens"),
    ):
        assert_error(response, 403, "insufficient_scope")
    assert PersonalAccessToken.objects.count() == 1


def test_creation_is_rate_limited_per_account(member_client, org, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token_create_account": "2/h"}
    assert create(member_client, org).status_code == 201
    assert create(member_client, org).status_code == 201
    response = create(member_client, org)
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
