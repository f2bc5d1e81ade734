"""Linked identities: listing, linking while signed in, removing (never the last way to sign in), and
confirming it is you again through a provider."""

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from sso.models import SocialIdentity
from tests.factories import SocialIdentityFactory, UserFactory
from tests.organizations.assertions import assert_error, assert_page
from tests.sso.conftest import REDIRECT_URI

pytestmark = pytest.mark.django_db

CALLBACK = "/api/v1/oauth/callback/github"


def test_the_list_shows_only_ones_own_identities(auth_client, user):
    mine = SocialIdentityFactory(user=user, provider="github")
    SocialIdentityFactory()
    items = assert_page(auth_client.get("/api/v1/users/me/identities"))
    assert [item["id"] for item in items] == [str(mine.pk)]
    assert set(items[0]) == {"id", "provider", "email", "email_verified", "created_at", "last_used_at"}


def test_removing_an_identity_is_audited(auth_client, user):
    identity = SocialIdentityFactory(user=user, provider="github")
    response = auth_client.delete(f"/api/v1/users/me/identities/{identity.pk}")
    assert response.status_code == 204
    assert not SocialIdentity.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.IDENTITY_UNLINKED, user=user, data={"provider": "github"})


def test_another_persons_identity_is_not_found(auth_client):
    other = SocialIdentityFactory()
    assert_error(auth_client.delete(f"/api/v1/users/me/identities/{other.pk}"), 404)
    assert SocialIdentity.objects.filter(pk=other.pk).exists()


def test_the_last_way_to_sign_in_cannot_be_removed(client_for):
    user = UserFactory(password=None)
    user.set_unusable_password()
    user.save()
    only = SocialIdentityFactory(user=user, provider="github")
    client = client_for(user)
    assert_error(client.delete(f"/api/v1/users/me/identities/{only.pk}"), 409, "last_sign_in_method")
    second = SocialIdentityFactory(user=user, provider="google")
    assert client.delete(f"/api/v1/users/me/identities/{second.pk}").status_code == 204
    assert_error(client.delete(f"/api/v1/users/me/identities/{only.pk}"), 409, "last_sign_in_method")


def start_link(client):
    response = client.post("/api/v1/users/me/identities/github", {"redirect_uri": REDIRECT_URI}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["state"]


def test_linking_while_signed_in(auth_client, user, github_on, provider_says):
    provider_says(subject="gh-77", email="not-the-account-email@example.com", email_verified=False)
    state = start_link(auth_client)
    response = auth_client.post(CALLBACK, {"code": "c", "state": state}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["provider"] == "github"
    assert SocialIdentity.objects.get(subject="gh-77").user == user
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.IDENTITY_LINKED, user=user, data__by="signed_in").exists()


def test_linking_needs_the_access_token_of_who_started_it(auth_client, client_for, github_on, provider_says):
    provider_says(subject="gh-77")
    state = start_link(auth_client)
    stranger = client_for(UserFactory())
    stranger.cookies = auth_client.cookies
    assert_error(stranger.post(CALLBACK, {"code": "c", "state": state}, format="json"), 401, "not_authenticated")
    assert not SocialIdentity.objects.exists()


def test_an_identity_linked_to_another_account_is_not_moved(auth_client, github_on, provider_says):
    theirs = SocialIdentityFactory(provider="github", subject="gh-77")
    provider_says(subject="gh-77")
    response = auth_client.post(CALLBACK, {"code": "c", "state": start_link(auth_client)}, format="json")
    assert_error(response, 409, "identity_in_use")
    assert SocialIdentity.objects.get().user == theirs.user


def test_linking_needs_a_signed_in_caller(api_client, github_on):
    response = api_client.post("/api/v1/users/me/identities/github", {"redirect_uri": REDIRECT_URI}, format="json")
    assert_error(response, 401)


def test_confirming_it_is_you_through_a_linked_provider(client_for, github_on, provider_says):
    user = UserFactory(email_verified_at=timezone.now())
    SocialIdentityFactory(user=user, provider="github", subject="gh-3")
    client = client_for(user)
    before = client.session_row.authenticated_at
    provider_says(subject="gh-3")
    response = client.post("/api/v1/oauth/reauthenticate/github", {"redirect_uri": REDIRECT_URI}, format="json")
    assert response.status_code == 200, response.content
    answer = client.post(CALLBACK, {"code": "c", "state": response.json()["state"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert set(answer.json()) == {"access", "access_expires_in"}
    client.session_row.refresh_from_db()
    assert client.session_row.authenticated_at > before
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REAUTHENTICATED)
    assert event.data == {"method": "github"}


def test_confirming_with_someone_elses_provider_account_is_refused(client_for, github_on, provider_says):
    user = UserFactory()
    SocialIdentityFactory(user=user, provider="github", subject="gh-3")
    client = client_for(user)
    provider_says(subject="gh-somebody-else")
    response = client.post("/api/v1/oauth/reauthenticate/github", {"redirect_uri": REDIRECT_URI}, format="json")
    answer = client.post(CALLBACK, {"code": "c", "state": response.json()["state"]}, format="json")
    assert_error(answer, 403, "identity_mismatch")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REAUTHENTICATED).exists()


def test_confirming_needs_a_linked_identity(auth_client, github_on):
    response = auth_client.post("/api/v1/oauth/reauthenticate/github", {"redirect_uri": REDIRECT_URI}, format="json")
    assert_error(response, 409, "identity_not_linked")
