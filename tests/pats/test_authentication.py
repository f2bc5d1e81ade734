"""A personal access token as a credential: who it is, when it fails (401 invalid_token), what its use
costs (queries, writes) and what it leaves in the audit log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from pats import tokens
from pats.models import PersonalAccessToken
from tests.factories import PersonalAccessTokenFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org_with_roles(name="Alpha")


@pytest.fixture
def token(org):
    return PersonalAccessTokenFactory(
        user=org.member, scopes=["tasks:read", "profile"], organizations=[org.organization]
    )


def bearer(api_client, secret, **extra):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)
    return api_client


def test_the_token_acts_as_its_person(api_client, token, org):
    response = bearer(api_client, token.secret).get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json()["id"] == str(org.member.pk)


def test_the_format_has_a_prefix_and_a_checksum():
    secret = tokens.token_generate()
    assert tokens.TOKEN_PATTERN.fullmatch(secret)
    assert len(secret) == 42
    assert tokens.is_well_formed(secret)
    last = secret[-1]
    tampered = secret[:-1] + ("a" if last != "a" else "b")
    assert not tokens.is_well_formed(tampered)
    assert tokens.TOKEN_PATTERN.search(f"leaked: TOKEN={secret};")


@pytest.mark.parametrize(
    "change",
    [
        {"revoked_at": timezone.now()},
        {"expires_at": timezone.now() - timedelta(seconds=1)},
    ],
    ids=["revoked", "expired"],
)
def test_a_revoked_or_expired_token_is_refused(api_client, token, change):
    PersonalAccessToken.objects.filter(pk=token.pk).update(**change)
    response = bearer(api_client, token.secret).get("/api/v1/tasks")
    assert_error(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')


def test_an_inactive_persons_token_is_refused(api_client, token):
    token.user.is_active = False
    token.user.save()
    assert_error(bearer(api_client, token.secret).get("/api/v1/tasks"), 401, "invalid_token")


@pytest.mark.parametrize(
    ("secret", "queries"),
    [("twp_short", 0), ("twp_" + "A" * 38, 0), (None, 1)],
    ids=["malformed", "bad checksum", "unknown"],
)
def test_a_look_alike_is_refused_without_reaching_anything(api_client, secret, queries, django_assert_num_queries):
    # Only a well-formed token (a random one, never issued) is looked up; the others are refused on their form.
    secret = secret or tokens.token_generate()
    client = bearer(api_client, secret)
    with django_assert_num_queries(queries):
        response = client.get("/api/v1/tasks")
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_session_tokens_still_work_beside_them(auth_client):
    assert auth_client.get("/api/v1/users/me").status_code == 200


def test_a_bad_session_token_still_answers_as_before(api_client):
    response = bearer(api_client, "not-a-jwt").get("/api/v1/users/me")
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_last_use_is_written_at_most_once_a_minute_and_at_once_from_a_new_address(api_client, token):
    client = bearer(api_client, token.secret, REMOTE_ADDR="203.0.113.5")
    client.get("/api/v1/users/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert token.last_used_ip == "203.0.113.5"

    client.get("/api/v1/users/me")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write

    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/users/me")
    token.refresh_from_db()
    assert token.last_used_at > first

    bearer(api_client, token.secret, REMOTE_ADDR="198.51.100.7").get("/api/v1/users/me")
    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.7"


def test_use_is_audited_once_an_hour_and_once_per_new_address(api_client, token):
    def used():
        return list(AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_USED).order_by("created_at"))

    client = bearer(api_client, token.secret, REMOTE_ADDR="203.0.113.5")
    for _ in range(3):
        client.get("/api/v1/users/me")
    assert len(used()) == 1
    assert used()[0].user == token.user
    assert used()[0].data["token_id"] == str(token.pk)

    bearer(api_client, token.secret, REMOTE_ADDR="198.51.100.7").get("/api/v1/users/me")
    assert len(used()) == 2
    assert used()[1].data["new_ip"] is True

    PersonalAccessToken.objects.filter(pk=token.pk).update(use_audited_at=timezone.now() - timedelta(hours=2))
    client.get("/api/v1/users/me")
    assert len(used()) == 3


def test_an_authenticated_request_costs_few_queries(api_client, token, client_for, org, django_assert_num_queries):
    client = bearer(api_client, token.secret)
    client.get("/api/v1/tasks")  # the first use writes last_used_at and the audit event
    session_client = client_for(org.member)
    session_client.get("/api/v1/tasks")
    with CaptureQueriesContext(connection) as session_queries:
        session_client.get("/api/v1/tasks")
    # The token with its person, and the token's organizations, where a session reads its state and its person
    # from the cache (config.person_cache): two queries more; no write.
    with django_assert_num_queries(len(session_queries) + 2):
        assert client.get("/api/v1/tasks").status_code == 200
