"""DELETE /users/me: the account is deactivated at once, its sessions end, and it is anonymised later."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from organizations.models import Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory
from tests.organizations.assertions import assert_error
from tests.privacy.conftest import LOGIN, ME, REFRESH

pytestmark = pytest.mark.django_db


def delete_me(client, body=None):
    return client.delete(ME, body, format="json")


def test_with_the_password_the_account_is_deactivated_and_scheduled(signed_in, user, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 14
    client = signed_in(user, long_ago=True)  # the password is enough, however old the sign-in

    response = delete_me(client, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 202, response.content
    user.refresh_from_db()
    assert not user.is_active
    assert user.anonymised_at is None
    assert timedelta(days=14) - timedelta(minutes=1) < user.deletion_scheduled_at - timezone.now() <= timedelta(days=14)
    assert response.json() == {"deletion_scheduled_at": user.deletion_scheduled_at.isoformat().replace("+00:00", "Z")}
    event = AuditEvent.objects.get(user=user, kind=AuditEvent.Kind.ACCOUNT_DELETION_REQUESTED)
    assert event.data == {"anonymise_at": user.deletion_scheduled_at.isoformat()}
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.USER_DEACTIVATED).exists()


def test_every_session_ends_at_once(signed_in, user):
    client = signed_in(user)
    other_device = signed_in(user)

    assert delete_me(client, {"password": DEFAULT_PASSWORD}).status_code == 202

    for device in (client, other_device):
        assert_error(device.get(ME), 401)
        refresh = APIClient().post(REFRESH, {"refresh": device.tokens["refresh"]}, format="json")
        assert_error(refresh, 401)
    login = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert_error(login, 401)


def test_a_recent_sign_in_is_enough_without_the_password(signed_in, user):
    assert delete_me(signed_in(user)).status_code == 202
    user.refresh_from_db()
    assert not user.is_active


def test_without_a_recent_sign_in_or_the_password_it_asks_to_reauthenticate(signed_in, user):
    response = delete_me(signed_in(user, long_ago=True))
    assert_error(response, 403, "reauthentication_required")
    user.refresh_from_db()
    assert user.is_active
    assert user.deletion_scheduled_at is None


def test_a_wrong_password_is_a_400_on_the_field_even_after_a_recent_sign_in(signed_in, user):
    response = delete_me(signed_in(user), {"password": "not-my-password"})
    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "password"
    user.refresh_from_db()
    assert user.is_active
    assert AuditEvent.objects.filter(user=user, kind=AuditEvent.Kind.LOGIN_FAILED).exists()


def test_an_account_without_a_password_deletes_after_reauthenticating_only(signed_in, client_for, user):
    client = signed_in(user, long_ago=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    # Any password is wrong for it; and its old sign-in is not recent.
    assert_error(delete_me(client, {"password": DEFAULT_PASSWORD}), 400)
    assert_error(delete_me(client), 403, "reauthentication_required")
    # A fresh session (as after signing in through a provider) may.
    assert delete_me(client_for(user)).status_code == 202


def test_password_guesses_are_limited_with_the_reauthentications(signed_in, user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reauthenticate_account": "2/15m"}
    client = signed_in(user)
    assert client.post("/api/v1/auth/reauthenticate", {"password": "nope"}, format="json").status_code == 400
    assert delete_me(client, {"password": "nope"}).status_code == 400
    response = delete_me(client, {"password": DEFAULT_PASSWORD})
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"]


def test_the_last_owner_of_an_organization_with_members_gets_409_with_the_organizations(org, signed_in):
    sole_owner_elsewhere = OrganizationFactory(name="Zeta")
    MembershipFactory(organization=sole_owner_elsewhere, user=org.owner, role=Role.OWNER)
    MembershipFactory(organization=sole_owner_elsewhere, role=Role.VIEWER)
    shared = OrganizationFactory(name="Shared")  # another owner: no hand-over needed
    MembershipFactory(organization=shared, user=org.owner, role=Role.OWNER)
    MembershipFactory(organization=shared, role=Role.OWNER)
    alone = OrganizationFactory(name="Alone")  # only them: goes with the account, does not block
    MembershipFactory(organization=alone, user=org.owner, role=Role.OWNER)

    response = delete_me(signed_in(org.owner), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["success"] is False
    (error,) = body["errors"]
    assert (error["code"], error["field"]) == ("last_owner", None)
    assert error["message"]
    assert error["organizations"] == [
        {"id": str(o.pk), "name": o.name, "slug": o.slug} for o in (org.organization, sole_owner_elsewhere)
    ]
    org.owner.refresh_from_db()
    assert org.owner.is_active
    assert org.owner.deletion_scheduled_at is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_DELETION_REQUESTED).exists()


def test_once_another_member_is_owner_the_owner_may_leave(org, signed_in, client_for):
    promote = client_for(org.owner).patch(
        f"/api/v1/organizations/{org.id}/members/{org.admin.pk}", {"role": "owner"}, format="json"
    )
    assert promote.status_code == 200, promote.content
    assert delete_me(signed_in(org.owner), {"password": DEFAULT_PASSWORD}).status_code == 202


def test_members_and_admins_are_never_blocked(org, signed_in):
    for role in ("admin", "member", "viewer"):
        assert delete_me(signed_in(org.users[role]), {"password": DEFAULT_PASSWORD}).status_code == 202
    assert User.objects.filter(deletion_scheduled_at__isnull=False).count() == 3


def test_anonymous_callers_get_401(api_client):
    assert_error(api_client.delete(ME, {"password": "x"}, format="json"), 401)


def test_the_profile_endpoint_still_reads_and_edits(auth_client):
    assert auth_client.get(ME).status_code == 200
    assert auth_client.patch(ME, {"full_name": "Still Me"}, format="json").json()["full_name"] == "Still Me"


def test_a_deleted_account_is_still_shown_to_others_until_anonymised(org, signed_in, client_for):
    """Between the request and the anonymisation the person's name stays on their work (nothing is erased
    yet, so that staff can still cancel); they are no longer signed in anywhere."""
    assert delete_me(signed_in(org.member), {"password": DEFAULT_PASSWORD}).status_code == 202
    member = client_for(org.admin).get(f"/api/v1/organizations/{org.id}/members/{org.member.pk}")
    assert member.status_code == 200
    assert member.json()["user"]["username"] == org.member.username
