from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from sessions_app.models import UserSession
from tests.factories import UserFactory
from tests.sessions_app.conftest import ME, bearer

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/sessions"
ADMIN_SESSIONS = "/api/v1/admin/sessions"


def test_list_own_active_sessions_with_the_current_marked(api_client, login, user):
    first, second = login(user), login(user)
    login(UserFactory())
    UserSession.objects.filter(pk=second["session"]["id"]).update(revoked_at=timezone.now())
    third = login(user)
    body = bearer(api_client, first["access"]).get(SESSIONS).json()
    ids = {row["id"]: row["is_current"] for row in body["data"]}
    assert ids == {first["session"]["id"]: True, third["session"]["id"]: False}
    assert body["pagination"]["total"] == 2


def test_owner_revokes_one_of_their_sessions(api_client, login, user):
    current, other = login(user), login(user)
    client = bearer(api_client, current["access"])
    assert client.delete(f"{SESSIONS}/{other['session']['id']}").status_code == 204
    assert bearer(api_client, other["access"]).get(ME).status_code == 401
    assert bearer(api_client, current["access"]).get(ME).status_code == 200
    assert AuditEvent.objects.filter(kind="session_revoked", session_id=other["session"]["id"]).exists()


def test_someone_elses_session_is_not_found(api_client, login, user):
    mine, theirs = login(user), login(UserFactory())
    response = bearer(api_client, mine["access"]).delete(f"{SESSIONS}/{theirs['session']['id']}")
    assert response.status_code == 404
    assert bearer(api_client, theirs["access"]).get(ME).status_code == 200


def test_unknown_and_malformed_session_ids_are_not_found(auth_client):
    assert auth_client.delete(f"{SESSIONS}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert auth_client.delete(f"{SESSIONS}/not-a-uuid").status_code == 404


def test_session_list_costs_fixed_queries(client_for, user, django_assert_max_num_queries):
    client = client_for(user)
    for _ in range(5):
        client_for(user)
    # The user, the count, the page: the session check itself is served from the cache.
    with django_assert_max_num_queries(3):
        assert client.get(f"{SESSIONS}?page_size=2").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(f"{SESSIONS}?page_size=50").status_code == 200


class TestAdminSessions:
    @pytest.fixture
    def superuser_client(self, client_for):
        return client_for(UserFactory(is_superuser=True, is_staff=True))

    @pytest.mark.parametrize("flags", [{}, {"is_staff": True}])
    def test_only_superusers(self, client_for, api_client, flags):
        assert client_for(UserFactory(**flags)).get(ADMIN_SESSIONS).status_code == 403
        assert api_client.get(ADMIN_SESSIONS).status_code == 401

    def test_rows_carry_the_user(self, superuser_client, login, user):
        login(user)
        rows = superuser_client.get(f"{ADMIN_SESSIONS}?user={user.pk}").json()["data"]
        assert len(rows) == 1
        assert rows[0]["user"] == {
            "id": str(user.pk),
            "email": user.email,
            "username": user.username,
            "full_name": user.full_name,
        }
        assert rows[0]["ip"] == "127.0.0.1"

    def test_filters(self, superuser_client, login, user):
        old = login(user, REMOTE_ADDR="198.51.100.1")
        new = login(user, REMOTE_ADDR="198.51.100.2")
        UserSession.objects.filter(pk=old["session"]["id"]).update(
            created_at=timezone.now() - timedelta(days=3), revoked_at=timezone.now()
        )

        def ids(query):
            response = superuser_client.get(f"{ADMIN_SESSIONS}?user={user.pk}&{query}")
            assert response.status_code == 200, response.content
            return {row["id"] for row in response.json()["data"]}

        assert ids("is_active=true") == {new["session"]["id"]}
        assert ids("is_active=false") == {old["session"]["id"]}
        assert ids("ip=198.51.100.1") == {old["session"]["id"]}
        cutoff = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
        assert ids(f"created_after={cutoff}") == {new["session"]["id"]}
        assert ids(f"created_before={cutoff}") == {old["session"]["id"]}

    @pytest.mark.parametrize("query", ["user=nope", "created_after=yesterday", "is_active=maybe", "ip=not-an-ip"])
    def test_bad_filters_answer_400(self, superuser_client, query):
        response = superuser_client.get(f"{ADMIN_SESSIONS}?{query}")
        assert response.status_code == 400
        assert response.json()["success"] is False

    def test_fixed_queries_whatever_the_page_size(self, superuser_client, client_for, django_assert_max_num_queries):
        for _ in range(6):
            client_for(UserFactory())
        for size in (2, 50):
            with django_assert_max_num_queries(3):
                assert superuser_client.get(f"{ADMIN_SESSIONS}?page_size={size}").status_code == 200
