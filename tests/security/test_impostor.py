"""The impostor of issue 12, reproduced exactly: someone registers with another person's email address and
is signed in at once; an admin then adds that address to an organization by email. Through every door
(the members endpoint, the Django admin's membership form and its organization inline, a members CSV
import, the operator command) the impostor is never added: the address is invited instead, the link goes
to the real owner's mailbox, and accepting it is what proves the address."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from imports.models import ImportJob
from organizations.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

VICTIM = "dana@acme.example"
API = "/api/v1"
INVITATION_LINK = re.compile(r"/invitations/([A-Za-z0-9_-]+)")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a call and the work it enqueues on commit (emails, the import job), as production would."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


@pytest.fixture
def impostor(api_client, run):
    """Registers with Dana's address (Dana never sees the verification email) and signs in at once."""
    payload = {"email": VICTIM, "username": "not_dana", "password": "plum-tractor-88"}
    assert run(api_client.post, f"{API}/auth/register", payload).status_code == 201
    response = api_client.post(f"{API}/auth/login", {"email": VICTIM, "password": "plum-tractor-88"})
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    api_client.user = User.objects.get(email=VICTIM)
    mail.outbox.clear()
    return api_client


def add_through_api(org, run, client_for, staff):
    response = run(client_for(org.admin).post, f"{API}/organizations/{org.id}/members", {"email": VICTIM})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["email"], body["status"], body["role"]) == (VICTIM, "pending", "member")


def add_through_admin_form(org, run, client_for, staff):
    data = {"organization": org.id, "user": User.objects.get(email=VICTIM).pk, "role": Role.MEMBER}
    response = run(staff.post, "/admin/organizations/membership/add/", data)
    invitation = Invitation.objects.get(organization_id=org.id, email=VICTIM)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/organizations/invitation/{invitation.pk}/change/"


def add_through_admin_inline(org, run, client_for, staff):
    memberships = list(Membership.objects.filter(organization_id=org.id))
    data = {
        "name": org.organization.name,
        "slug": org.organization.slug,
        "memberships-TOTAL_FORMS": len(memberships) + 1,
        "memberships-INITIAL_FORMS": len(memberships),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    for index, membership in enumerate(memberships):
        data |= {
            f"memberships-{index}-id": membership.pk,
            f"memberships-{index}-organization": org.id,
            f"memberships-{index}-user": membership.user_id,
            f"memberships-{index}-role": membership.role,
        }
    new = len(memberships)
    data |= {
        f"memberships-{new}-organization": org.id,
        f"memberships-{new}-user": User.objects.get(email=VICTIM).pk,
        f"memberships-{new}-role": Role.ADMIN,
    }
    response = run(staff.post, f"/admin/organizations/organization/{org.id}/change/", data, follow=True)
    assert response.status_code == 200
    assert "was not added" in response.content.decode()


def add_through_csv_import(org, run, client_for, staff):
    upload = SimpleUploadedFile("members.csv", f"email,role\n{VICTIM},admin\n".encode(), content_type="text/csv")
    response = run(
        client_for(org.admin).post,
        f"{API}/organizations/{org.id}/imports",
        {"file": upload, "kind": "members"},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job = client_for(org.admin).get(f"{API}/imports/{response.json()['id']}").json()
    assert (job["state"], job["created"], job["failed"]) == ("succeeded", 1, 0), job
    assert ImportJob.objects.get(pk=job["id"]).summary == {"members_added": 0, "invited": 1}


def add_through_command(org, run, client_for, staff):
    run(call_command, "add_member", organization=org.organization.slug, email=VICTIM, role="member")


DOORS = [add_through_api, add_through_admin_form, add_through_admin_inline, add_through_csv_import, add_through_command]


@pytest.mark.parametrize("add", DOORS, ids=lambda door: door.__name__)
def test_an_impostor_is_never_added_by_the_address_and_its_owner_proves_it(add, impostor, run, client_for, staff):
    org = make_org_with_roles(name="Acme")
    task = client_for(org.member).post(f"{API}/tasks", {"organization": str(org.id), "title": "Secret roadmap"})
    assert task.status_code == 201

    add(org, run, client_for, staff)

    # The impostor is not in: the organization and its tasks are as invisible as before.
    assert not Membership.objects.filter(organization_id=org.id, user__email=VICTIM).exists()
    assert_error(impostor.get(f"{API}/organizations/{org.id}"), 404)
    assert_error(impostor.get(f"{API}/tasks/{task.json()['id']}"), 404)
    assert impostor.get(f"{API}/tasks").json()["data"] == []
    assert not User.objects.get(email=VICTIM).email_verified
    # The address was invited instead: the link went to Dana's mailbox, which the impostor cannot read.
    invitation = Invitation.objects.get(organization_id=org.id, email=VICTIM)
    (message,) = [m for m in mail.outbox if INVITATION_LINK.search(m.body)]
    assert message.to == [VICTIM]

    # Dana takes her address back: a password reset reaches her mailbox (and ends the impostor's sessions),
    browser = APIClient()
    mail.outbox.clear()
    assert run(browser.post, f"{API}/auth/password/reset", {"email": VICTIM}).status_code == 202
    token = re.search(r"token=(\S+)", mail.outbox[-1].body).group(1)
    response = browser.post(f"{API}/auth/password/reset/confirm", {"token": token, "new_password": "danas-own-pass-77"})
    assert response.status_code == 204
    assert_error(impostor.get(f"{API}/users/me"), 401)
    # then signs in and accepts the invitation: she is a member, and her address is verified.
    dana = client_for(User.objects.get(email=VICTIM))
    link_token = INVITATION_LINK.search(message.body).group(1)
    assert dana.post(f"{API}/invitations/{link_token}/accept").status_code == 200
    assert Membership.objects.filter(organization_id=org.id, user__email=VICTIM, role=invitation.role).exists()
    assert User.objects.get(email=VICTIM).email_verified


def test_a_verified_account_is_still_added_at_once(run, client_for):
    org = make_org_with_roles(name="Acme")
    other = make_org_with_roles(name="Globex").member  # verified, as UserFactory makes them
    response = run(client_for(org.admin).post, f"{API}/organizations/{org.id}/members", {"email": other.email})
    assert response.status_code == 201
    assert response.json()["user"]["id"] == str(other.pk)
    assert mail.outbox == []


def test_accepting_an_invitation_verifies_the_address(run, client_for):
    """The proof the invitation gives, on its own: whoever accepts with the invited address owns it."""
    org = make_org_with_roles(name="Acme")
    person = UserFactory(unverified=True)
    response = run(client_for(org.admin).post, f"{API}/organizations/{org.id}/members", {"email": person.email})
    assert response.status_code == 202
    token = INVITATION_LINK.search(mail.outbox[-1].body).group(1)
    assert client_for(person).post(f"{API}/invitations/{token}/accept").status_code == 200
    person.refresh_from_db()
    assert person.email_verified


def test_an_unverified_member_already_in_is_a_conflict_not_an_invitation(client_for):
    org = make_org_with_roles(name="Acme")
    member = MembershipFactory(organization=org.organization, user=UserFactory(unverified=True)).user
    response = client_for(org.admin).post(f"{API}/organizations/{org.id}/members", {"email": member.email})
    assert_error(response, 409, "conflict")
    assert not Invitation.objects.filter(email=member.email).exists()


def test_the_membership_service_itself_refuses_an_unverified_account():
    """Any caller that adds by email without thinking of invitations still cannot let an impostor in."""
    from django.core.exceptions import ValidationError

    from organizations.services import membership_add

    org = make_org_with_roles(name="Acme")
    person = UserFactory(unverified=True)
    with pytest.raises(ValidationError) as refused:
        membership_add(organization=org.organization, email=person.email, role=Role.MEMBER, actor=None)
    assert refused.value.error_dict["email"][0].code == "email_not_verified"
