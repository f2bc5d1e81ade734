import pytest

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
ME = "/api/v1/users/me"


def fields_of(response):
    return {e["field"]: e["code"] for e in response.json()["errors"]}


class TestRegister:
    payload = {"email": "New@Example.com", "username": "newbie", "password": "plum-tractor-88", "full_name": "New B"}

    def test_creates_a_user(self, api_client):
        response = api_client.post(REGISTER, self.payload)
        assert response.status_code == 201
        body = response.json()
        assert body["email"] == "new@example.com"
        assert set(body) == {"id", "email", "username", "full_name"}
        user = User.objects.get(pk=body["id"])
        assert user.check_password("plum-tractor-88")
        assert not user.is_staff
        assert not user.is_superuser

    def test_privilege_fields_are_ignored(self, api_client):
        response = api_client.post(REGISTER, {**self.payload, "is_staff": True, "is_superuser": True})
        user = User.objects.get(pk=response.json()["id"])
        assert not user.is_staff
        assert not user.is_superuser

    @pytest.mark.parametrize(
        ("password", "code"),
        [
            ("password123", "password_too_common"),
            ("short1x", "password_too_short"),
            ("8675309412", "password_entirely_numeric"),
        ],
    )
    def test_password_validators_report_on_the_password_field(self, api_client, password, code):
        response = api_client.post(REGISTER, {**self.payload, "password": password})
        assert response.status_code == 400
        assert code in [e["code"] for e in response.json()["errors"] if e["field"] == "password"]

    def test_password_similar_to_the_user_is_refused(self, api_client):
        response = api_client.post(REGISTER, {**self.payload, "username": "marmalade", "password": "marmalade1"})
        assert response.status_code == 400
        assert fields_of(response)["password"] == "password_too_similar"

    def test_email_and_username_must_be_free_in_any_case(self, api_client):
        UserFactory(email="new@example.com", username="Newbie")
        response = api_client.post(REGISTER, self.payload)
        assert response.status_code == 400
        assert fields_of(response) == {"email": "email_taken", "username": "username_taken"}

    @pytest.mark.parametrize("username", ["a", "has space", "dots.too", "x" * 31, "émile"])
    def test_usernames_are_mention_handles(self, api_client, username):
        response = api_client.post(REGISTER, {**self.payload, "username": username})
        assert response.status_code == 400
        assert "username" in fields_of(response)

    def test_registration_can_be_closed(self, api_client, settings):
        settings.REGISTRATION_OPEN = False
        response = api_client.post(REGISTER, self.payload)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "registration_closed"
        assert not User.objects.exists()


class TestMe:
    def test_read(self, auth_client):
        body = auth_client.get(ME).json()
        assert body["email"] == auth_client.user.email
        assert body["notify_email"] is True
        assert body["webhook_url"] == ""

    def test_edit_name_username_and_notification_settings(self, auth_client):
        response = auth_client.patch(
            ME,
            {
                "full_name": "Renamed",
                "username": "renamed_1",
                "notify_email": False,
                "webhook_url": "https://hooks.example.com/x",
            },
        )
        assert response.status_code == 200, response.content
        user = User.objects.get(pk=auth_client.user.pk)
        assert (user.full_name, user.username, user.notify_email, user.webhook_url) == (
            "Renamed",
            "renamed_1",
            False,
            "https://hooks.example.com/x",
        )

    def test_privilege_flags_are_never_editable(self, auth_client):
        response = auth_client.patch(ME, {"is_staff": True, "is_superuser": True, "is_active": False})
        assert response.status_code == 200
        user = User.objects.get(pk=auth_client.user.pk)
        assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)

    def test_changing_the_email_needs_the_current_password(self, auth_client):
        response = auth_client.patch(ME, {"email": "moved@example.com"})
        assert response.status_code == 400
        assert fields_of(response) == {"current_password": "invalid"}
        response = auth_client.patch(ME, {"email": "moved@example.com", "current_password": "wrong"})
        assert response.status_code == 400
        response = auth_client.patch(ME, {"email": "Moved@Example.com", "current_password": DEFAULT_PASSWORD})
        assert response.status_code == 200
        # Asked for, not done: the new address must be verified first (tests/accounts/test_email_change.py).
        assert response.json()["pending_email"] == "moved@example.com"
        assert response.json()["email"] == auth_client.user.email

    def test_taken_username_is_refused(self, auth_client):
        UserFactory(username="taken")
        response = auth_client.patch(ME, {"username": "TAKEN"})
        assert response.status_code == 400
        assert fields_of(response) == {"username": "username_taken"}

    def test_needs_sign_in(self, api_client):
        assert api_client.get(ME).status_code == 401
        assert api_client.patch(ME, {}).status_code == 401


class TestCreateUser:
    payload = {"email": "made@example.com", "username": "made", "password": "plum-tractor-88"}

    def test_superuser_creates_users(self, client_for):
        admin = client_for(UserFactory(is_superuser=True, is_staff=True))
        response = admin.post("/api/v1/users", {**self.payload, "is_staff": True})
        assert response.status_code == 201
        assert User.objects.get(email="made@example.com").is_staff

    @pytest.mark.parametrize("flags", [{}, {"is_staff": True}])
    def test_others_may_not(self, client_for, flags):
        response = client_for(UserFactory(**flags)).post("/api/v1/users", self.payload)
        assert response.status_code == 403
        assert not User.objects.filter(email="made@example.com").exists()

    def test_anonymous_may_not(self, api_client):
        assert api_client.post("/api/v1/users", self.payload).status_code == 401
