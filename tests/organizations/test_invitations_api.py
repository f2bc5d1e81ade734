"""Invitations: created and managed by admins, emailed with a one-time link, looked up and accepted by the invitee."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from config.tasks import sweep_jobs
from organizations import services, tasks
from organizations.models import Invitation, InvitationEmail, Membership, Role, hash_token
from tests.factories import InvitationFactory, UserFactory
from tests.organizations.assertions import assert_error, assert_page

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://app\.example\.com/invitations/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_URL = "https://app.example.com/"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a request and the work it enqueues on commit (the email task), as production would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def invitations_url(org, invitation=None, action=""):
    url = f"/api/v1/organizations/{org.id}/invitations"
    if invitation is not None:
        url += f"/{invitation.pk if hasattr(invitation, 'pk') else invitation}"
    return url + action


def token_from(message) -> str:
    return LINK.search(message.body).group(1)


def invite(send, client, org, email="new.person@example.com", role="member"):
    response = send(client.post, invitations_url(org), {"email": email, "role": role})
    assert response.status_code == 201, response.content
    return response.json()


class TestCreate:
    def test_admin_invites_and_the_email_carries_a_one_time_link(self, org, client_for, send):
        body = invite(send, client_for(org.admin), org, email="New.Person@Example.com", role="viewer")
        assert body["email"] == "new.person@example.com"
        assert body["role"] == "viewer"
        assert body["status"] == "pending"
        assert body["invited_by"]["id"] == str(org.admin.pk)
        assert "token" not in body
        assert "token_hash" not in body
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["new.person@example.com"]
        assert "Acme" in message.subject
        token = token_from(message)
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert f"https://app.example.com/invitations/{token}" in html
        assert "viewer" in message.body

    def test_only_the_hash_of_the_token_is_stored(self, org, client_for, send):
        body = invite(send, client_for(org.admin), org)
        token = token_from(mail.outbox[0])
        invitation = Invitation.objects.get(pk=body["id"])
        assert invitation.token_hash == hash_token(token) != token
        assert token not in str(Invitation.objects.filter(pk=body["id"]).values().get())

    def test_expiry_defaults_to_seven_days(self, org, client_for, send):
        body = invite(send, client_for(org.admin), org)
        expires_at = Invitation.objects.get(pk=body["id"]).expires_at
        assert timedelta(days=7) - timedelta(minutes=1) < expires_at - timezone.now() <= timedelta(days=7)

    def test_expiry_follows_the_setting(self, org, client_for, send, settings):
        settings.INVITATION_EXPIRY_DAYS = 2
        body = invite(send, client_for(org.admin), org)
        expires_at = Invitation.objects.get(pk=body["id"]).expires_at
        assert expires_at - timezone.now() <= timedelta(days=2)

    def test_role_defaults_to_member(self, org, client_for, send):
        response = send(client_for(org.admin).post, invitations_url(org), {"email": "x@example.com"})
        assert response.json()["role"] == "member"

    def test_admin_cannot_invite_an_owner_but_an_owner_can(self, org, client_for, send):
        response = send(client_for(org.admin).post, invitations_url(org), {"email": "x@example.com", "role": "owner"})
        assert_error(response, 403, "permission_denied")
        assert mail.outbox == []
        assert invite(send, client_for(org.owner), org, email="x@example.com", role="owner")["role"] == "owner"

    def test_an_address_that_is_already_a_member_is_409(self, org, client_for, send):
        response = send(client_for(org.admin).post, invitations_url(org), {"email": org.viewer.email.upper()})
        assert_error(response, 409, "conflict")
        assert mail.outbox == []

    def test_a_second_pending_invitation_for_the_same_address_is_409(self, org, client_for, send):
        invite(send, client_for(org.admin), org, email="twice@example.com")
        response = send(client_for(org.owner).post, invitations_url(org), {"email": "TWICE@example.com"})
        body = assert_error(response, 409, "conflict")
        assert "resend" in body["errors"][0]["message"]
        assert len(mail.outbox) == 1

    def test_an_expired_invitation_is_replaced(self, org, client_for, send):
        old = InvitationFactory(
            organization=org.organization, email="late@example.com", expires_at=timezone.now() - timedelta(hours=1)
        )
        body = invite(send, client_for(org.admin), org, email="late@example.com")
        old.refresh_from_db()
        assert old.revoked_at is not None
        assert body["id"] != str(old.pk)
        assert len(mail.outbox) == 1

    def test_the_same_address_may_be_invited_by_another_organization(self, org, other_org, client_for, send):
        invite(send, client_for(org.admin), org, email="popular@example.com")
        invite(send, client_for(other_org.admin), other_org, email="popular@example.com")
        assert len(mail.outbox) == 2

    @pytest.mark.parametrize(
        ("data", "field", "code"),
        [
            ({}, "email", "required"),
            ({"email": "nope"}, "email", "invalid"),
            ({"email": "a@b.co", "role": "x"}, "role", "invalid_choice"),
        ],
    )
    def test_invalid_input(self, org, client_for, send, data, field, code):
        body = assert_error(send(client_for(org.admin).post, invitations_url(org), data), 400, code)
        assert body["errors"][0]["field"] == field


class TestListAndManage:
    def test_list_shows_every_status(self, org, client_for):
        now = timezone.now()
        InvitationFactory(organization=org.organization, email="p@example.com")
        InvitationFactory(organization=org.organization, email="e@example.com", expires_at=now - timedelta(days=1))
        InvitationFactory(organization=org.organization, email="r@example.com", revoked_at=now)
        InvitationFactory(organization=org.organization, email="a@example.com", accepted_at=now, accepted_by=org.member)
        data = assert_page(client_for(org.admin).get(invitations_url(org)))
        assert {i["email"]: i["status"] for i in data} == {
            "p@example.com": "pending",
            "e@example.com": "expired",
            "r@example.com": "revoked",
            "a@example.com": "accepted",
        }

    def test_resend_sends_a_new_link_and_renews_the_expiry(self, org, client_for, send, api_client):
        invitation = InvitationFactory(
            organization=org.organization, invited_by=org.admin, expires_at=timezone.now() - timedelta(days=1)
        )
        response = send(client_for(org.admin).post, invitations_url(org, invitation, "/resend"))
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "pending"
        new_token = token_from(mail.outbox[0])
        assert new_token != invitation.token
        refreshed = Invitation.objects.get(pk=invitation.pk)
        assert refreshed.expires_at > timezone.now() + timedelta(days=6)
        assert refreshed.token_hash == hash_token(new_token)
        # The old link stops working; the new one works.
        assert_error(api_client.get(f"/api/v1/invitations/{invitation.token}"), 404, "not_found")
        assert api_client.get(f"/api/v1/invitations/{new_token}").status_code == 200

    @pytest.mark.parametrize("state", ["revoked_at", "accepted_at"])
    def test_a_closed_invitation_cannot_be_resent(self, org, client_for, send, state):
        invitation = InvitationFactory(organization=org.organization, **{state: timezone.now()})
        assert_error(send(client_for(org.admin).post, invitations_url(org, invitation, "/resend")), 409, "conflict")
        assert mail.outbox == []

    def test_revoke_makes_the_link_unusable(self, org, client_for, api_client):
        invitation = InvitationFactory(organization=org.organization)
        assert client_for(org.admin).delete(invitations_url(org, invitation)).status_code == 204
        assert_error(api_client.get(f"/api/v1/invitations/{invitation.token}"), 410, "invitation_revoked")
        assert client_for(org.admin).delete(invitations_url(org, invitation)).status_code == 204  # idempotent

    def test_an_accepted_invitation_cannot_be_revoked(self, org, client_for):
        invitation = InvitationFactory(organization=org.organization, accepted_at=timezone.now())
        assert_error(client_for(org.admin).delete(invitations_url(org, invitation)), 409, "conflict")

    def test_admin_cannot_resend_or_revoke_an_owner_invitation(self, org, client_for, send):
        invitation = InvitationFactory(organization=org.organization, role=Role.OWNER)
        assert_error(send(client_for(org.admin).post, invitations_url(org, invitation, "/resend")), 403)
        assert_error(client_for(org.admin).delete(invitations_url(org, invitation)), 403)
        assert client_for(org.owner).delete(invitations_url(org, invitation)).status_code == 204

    def test_unknown_invitation_id_is_404(self, org, client_for):
        url = invitations_url(org, "00000000-0000-0000-0000-000000000000")
        assert_error(client_for(org.admin).get(url), 404, "not_found")


class TestLookUp:
    def test_anyone_with_the_link_sees_what_they_are_invited_to(self, org, api_client):
        invitation = InvitationFactory(organization=org.organization, invited_by=org.admin, role=Role.ADMIN)
        response = api_client.get(f"/api/v1/invitations/{invitation.token}")
        assert response.status_code == 200
        body = response.json()
        assert body["organization"] == {"id": str(org.id), "name": "Acme", "slug": org.organization.slug}
        assert (body["email"], body["role"]) == (invitation.email, "admin")
        assert body["invited_by"] == {"username": org.admin.username, "full_name": org.admin.full_name}
        assert "expires_at" in body

    def test_unknown_token_is_404(self, api_client):
        assert_error(api_client.get("/api/v1/invitations/not-a-token"), 404, "not_found")

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"expires_at": timezone.now() - timedelta(seconds=1)}, "invitation_expired"),
            ({"revoked_at": timezone.now()}, "invitation_revoked"),
            ({"accepted_at": timezone.now()}, "invitation_used"),
        ],
    )
    def test_a_token_that_can_no_longer_be_used_is_410_with_the_reason(self, org, api_client, fields, code):
        invitation = InvitationFactory(organization=org.organization, **fields)
        assert_error(api_client.get(f"/api/v1/invitations/{invitation.token}"), 410, code)


class TestAccept:
    def test_the_invited_user_joins_with_the_invited_role(self, org, client_for):
        invitee = UserFactory(email="invitee@example.com")
        invitation = InvitationFactory(organization=org.organization, email="invitee@example.com", role=Role.ADMIN)
        response = client_for(invitee).post(f"/api/v1/invitations/{invitation.token}/accept")
        assert response.status_code == 200, response.content
        assert (response.json()["id"], response.json()["role"]) == (str(org.id), "admin")
        assert Membership.objects.get(organization_id=org.id, user=invitee).role == Role.ADMIN
        invitation.refresh_from_db()
        assert invitation.accepted_by == invitee
        assert invitation.accepted_at is not None

    def test_the_email_matches_whatever_its_case(self, org, client_for):
        invitee = UserFactory(email="mixed@example.com")
        invitation = InvitationFactory(organization=org.organization, email="MiXeD@Example.COM")
        assert client_for(invitee).post(f"/api/v1/invitations/{invitation.token}/accept").status_code == 200

    def test_a_token_works_once(self, org, client_for):
        invitee = UserFactory(email="once@example.com")
        invitation = InvitationFactory(organization=org.organization, email="once@example.com")
        client = client_for(invitee)
        assert client.post(f"/api/v1/invitations/{invitation.token}/accept").status_code == 200
        assert_error(client.post(f"/api/v1/invitations/{invitation.token}/accept"), 410, "invitation_used")

    def test_signed_in_with_another_address_is_403(self, org, client_for):
        invitation = InvitationFactory(organization=org.organization, email="invitee@example.com")
        intruder = UserFactory()
        body = assert_error(
            client_for(intruder).post(f"/api/v1/invitations/{invitation.token}/accept"),
            403,
            "invitation_email_mismatch",
        )
        assert "sign in with that address" in body["errors"][0]["message"]
        assert not Membership.objects.filter(user=intruder).exists()

    def test_requires_signing_in(self, org, api_client):
        invitation = InvitationFactory(organization=org.organization)
        assert_error(api_client.post(f"/api/v1/invitations/{invitation.token}/accept"), 401, "not_authenticated")

    def test_unknown_token_is_404(self, auth_client):
        assert_error(auth_client.post("/api/v1/invitations/nope/accept"), 404, "not_found")

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"expires_at": timezone.now() - timedelta(seconds=1)}, "invitation_expired"),
            ({"revoked_at": timezone.now()}, "invitation_revoked"),
        ],
    )
    def test_expired_or_revoked_is_410(self, org, client_for, fields, code):
        invitee = UserFactory(email="late@example.com")
        invitation = InvitationFactory(organization=org.organization, email="late@example.com", **fields)
        assert_error(client_for(invitee).post(f"/api/v1/invitations/{invitation.token}/accept"), 410, code)
        assert not Membership.objects.filter(user=invitee).exists()

    def test_already_a_member_is_409_and_the_role_is_unchanged(self, org, client_for):
        invitation = InvitationFactory(organization=org.organization, email=org.viewer.email, role=Role.ADMIN)
        assert_error(client_for(org.viewer).post(f"/api/v1/invitations/{invitation.token}/accept"), 409, "conflict")
        assert Membership.objects.get(organization_id=org.id, user=org.viewer).role == Role.VIEWER


def test_the_whole_flow_as_the_frontend_sees_it(org, client_for, send, api_client):
    invite(send, client_for(org.owner), org, email="Newcomer@Example.com", role="member")
    token = token_from(mail.outbox[0])
    assert api_client.get(f"/api/v1/invitations/{token}").json()["organization"]["name"] == "Acme"
    newcomer = UserFactory(email="newcomer@example.com")
    assert client_for(newcomer).post(f"/api/v1/invitations/{token}/accept").json()["role"] == "member"
    members = assert_page(client_for(newcomer).get(f"/api/v1/organizations/{org.id}/members"))
    assert "newcomer@example.com" in [m["user"]["email"] for m in members]
    statuses = [i["status"] for i in assert_page(client_for(org.admin).get(invitations_url(org)))]
    assert statuses == ["accepted"]


class TestEmailTask:
    """The worker's side: one job row per email, safe to run twice, quiet for links no longer wanted."""

    @pytest.fixture
    def queued(self, org, django_capture_on_commit_callbacks):
        """Invite (or resend) without running the email: returns the pending email row."""

        def make(invitation=None):
            with django_capture_on_commit_callbacks(execute=False):
                if invitation is None:
                    invitation = services.invitation_create(
                        organization=org.organization, email="new.person@example.com", role=Role.MEMBER, invited_by=None
                    )
                else:
                    services.invitation_resend(invitation=invitation, actor=None)
            return InvitationEmail.objects.filter(invitation=invitation).order_by("-created_at").first()

        return make

    def test_only_the_row_id_goes_through_the_broker(self, org, client_for, send, monkeypatch):
        enqueued = []
        monkeypatch.setattr(tasks.invitation_email_send, "delay", lambda *args, **kwargs: enqueued.append(args))
        body = invite(send, client_for(org.admin), org)
        email = InvitationEmail.objects.get(invitation_id=body["id"])
        assert enqueued == [(str(email.pk),)]
        assert Invitation.objects.get(pk=body["id"]).token_hash is None  # no token before the email is sent

    def test_sends_once_per_email(self, queued):
        email = queued()
        assert tasks.invitation_email_send(str(email.pk)) == "sent"
        assert tasks.invitation_email_send(str(email.pk)) == "sent"
        assert len(mail.outbox) == 1
        invitation = Invitation.objects.get(pk=email.invitation_id)
        assert invitation.sent_at is not None
        assert invitation.token_hash == hash_token(token_from(mail.outbox[0]))
        email.refresh_from_db()
        assert (email.state, email.attempts, email.sent_at) == ("sent", 1, invitation.sent_at)

    def test_an_email_superseded_by_a_resend_sends_nothing(self, queued, api_client):
        first = queued()
        second = queued(first.invitation)
        assert tasks.invitation_email_send(str(first.pk)) == "superseded"
        assert mail.outbox == []
        assert tasks.invitation_email_send(str(second.pk)) == "sent"
        assert len(mail.outbox) == 1
        assert api_client.get(f"/api/v1/invitations/{token_from(mail.outbox[0])}").status_code == 200

    def test_a_resend_while_the_first_email_is_claimed_leaves_one_working_link(self, queued, monkeypatch, api_client):
        first = queued()
        real_claim = services.job_claim
        second = []

        def claim_then_resend(*args, **kwargs):
            claimed = real_claim(*args, **kwargs)
            if not second:  # the resend commits between the worker's claim and its token
                second.append(queued(claimed.invitation))
            return claimed

        monkeypatch.setattr(services, "job_claim", claim_then_resend)
        assert tasks.invitation_email_send(str(first.pk)) == "superseded"
        assert mail.outbox == []
        assert tasks.invitation_email_send(str(second[0].pk)) == "sent"
        (message,) = mail.outbox
        assert api_client.get(f"/api/v1/invitations/{token_from(message)}").status_code == 200

    def test_a_resend_after_the_first_email_was_sent_kills_its_link(self, queued, api_client):
        first = queued()
        assert tasks.invitation_email_send(str(first.pk)) == "sent"
        second = queued(first.invitation)
        assert tasks.invitation_email_send(str(second.pk)) == "sent"
        old, new = (token_from(message) for message in mail.outbox)
        assert_error(api_client.get(f"/api/v1/invitations/{old}"), 404, "not_found")
        assert api_client.get(f"/api/v1/invitations/{new}").status_code == 200

    @pytest.mark.parametrize("state", ["revoked_at", "accepted_at"])
    def test_skips_a_closed_invitation(self, queued, state):
        email = queued()
        Invitation.objects.filter(pk=email.invitation_id).update(**{state: timezone.now()})
        assert tasks.invitation_email_send(str(email.pk)) == "superseded"
        assert mail.outbox == []
        assert Invitation.objects.get(pk=email.invitation_id).token_hash is None

    def test_skips_an_invitation_deleted_with_its_organization(self, org, queued):
        email = queued()
        org.organization.delete()
        assert tasks.invitation_email_send(str(email.pk)) == "missing"
        assert mail.outbox == []

    def test_a_failed_send_is_retried_with_a_new_link_then_given_up(self, queued, monkeypatch):
        email = queued()

        def smtp_down(message, *args, **kwargs):
            raise smtplib.SMTPServerDisconnected("connection lost")

        monkeypatch.setattr(EmailMultiAlternatives, "send", smtp_down)
        assert tasks.invitation_email_send(str(email.pk)) == "pending"
        email.refresh_from_db()
        assert email.next_attempt_at > timezone.now()
        assert "connection lost" in email.last_error
        first_hash = Invitation.objects.get(pk=email.invitation_id).token_hash
        # Due again (the sweep enqueues it after its backoff): a new token, and the email goes out.
        monkeypatch.undo()
        assert tasks.invitation_email_send(str(email.pk)) == "sent"
        invitation = Invitation.objects.get(pk=email.invitation_id)
        assert invitation.token_hash == hash_token(token_from(mail.outbox[0])) != first_hash
        # Past its attempts it ends failed, with why.
        last = queued(invitation)
        InvitationEmail.objects.filter(pk=last.pk).update(attempts=InvitationEmail.job_max_attempts - 1)
        monkeypatch.setattr(EmailMultiAlternatives, "send", smtp_down)
        assert tasks.invitation_email_send(str(last.pk)) == "failed"
        last.refresh_from_db()
        assert last.last_error.startswith(f"Gave up after {InvitationEmail.job_max_attempts} attempts:")

    def test_a_lost_email_is_sent_by_the_sweep(self, queued):
        email = queued()  # its message was lost
        assert sweep_jobs()["organizations.InvitationEmail"] == 0  # not before its grace
        InvitationEmail.objects.filter(pk=email.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=InvitationEmail.job_pending_grace + 1)
        )
        assert sweep_jobs()["organizations.InvitationEmail"] == 1
        assert InvitationEmail.objects.get(pk=email.pk).state == "sent"
        assert len(mail.outbox) == 1

    def test_the_email_waits_for_the_commit(self, org, client_for):
        """Enqueued on commit: inside a transaction that never commits (this test's), nothing is sent."""
        response = client_for(org.admin).post(invitations_url(org), {"email": "x@example.com"})
        assert response.status_code == 201
        assert mail.outbox == []


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a" * 250 + "@example.com"},
        {"email": ["a@example.com"]},
        {"email": "a@example.com", "role": None},
        {"email": "a@example.com", "role": ["admin"]},
    ],
)
def test_odd_input_is_a_400_never_a_500(org, client_for, body):
    for url in (invitations_url(org), f"/api/v1/organizations/{org.id}/members"):
        assert_error(client_for(org.owner).post(url, body), 400)
