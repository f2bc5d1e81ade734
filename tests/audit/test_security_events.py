"""GET /users/me/security-events: a person sees what happened to their account, and only that."""

import pytest

from audit.models import AuditEvent
from sessions_app.services import session_revoke_by_admin
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/security-events"
LOGIN = "/api/v1/auth/login"


def test_a_person_sees_their_sign_ins_failed_attempts_and_sessions_ended(api_client, client_for, user):
    api_client.post(LOGIN, {"email": user.email, "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    signed_in = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert signed_in.status_code == 200
    other_session = client_for(user).session_row
    staff = UserFactory(is_staff=True, is_superuser=True)
    session_revoke_by_admin(session=other_session, admin=staff)

    response = client_for(user).get(URL)
    assert response.status_code == 200
    events = response.json()["data"]
    assert [event["kind"] for event in events] == ["session_revoked_by_admin", "login_succeeded", "login_failed"]
    revoked, succeeded, failed = events
    assert revoked["by_administrator"] is True
    assert revoked["description"] == "Session revoked by an administrator"
    assert succeeded["ip"] == "203.0.113.7"
    assert succeeded["by_administrator"] is False
    assert succeeded["session_id"] == signed_in.json()["session"]["id"]
    assert failed["ip"] == "203.0.113.9"
    assert succeeded["data"] == {"method": "password"}
    assert set(succeeded) == {
        "id",
        "kind",
        "description",
        "data",
        "ip",
        "user_agent",
        "session_id",
        "by_administrator",
        "created_at",
    }
    assert response.json()["pagination"]["total"] == 3


def test_nobody_sees_another_persons_events(api_client, client_for, user):
    api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert AuditEvent.objects.filter(user=user).exists()
    assert client_for(UserFactory()).get(URL).json()["data"] == []
    assert api_client.get(URL).status_code == 401


def test_queries_do_not_grow_with_the_page(client_for, user, django_assert_max_num_queries):
    staff = UserFactory(is_staff=True, is_superuser=True)
    AuditEvent.objects.bulk_create(
        AuditEvent(kind=AuditEvent.Kind.SESSION_REVOKED_BY_ADMIN, user=user, actor=staff) for _ in range(30)
    )
    client = client_for(user)
    with django_assert_max_num_queries(5):
        assert len(client.get(URL, {"page_size": 30}).json()["data"]) == 30
