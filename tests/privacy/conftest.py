from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
EXPORT = "/api/v1/users/me/export"
DOWNLOAD = "/api/v1/users/me/export/download"


@pytest.fixture
def signed_in(db):
    """Sign in through the API as the frontend does: ``signed_in(user, long_ago=False)`` -> a client with
    ``.tokens`` (the login body). ``long_ago``: the session proved who it is two hours ago, so its access
    token's ``auth_time`` is not recent (got through a refresh, as a frontend holding an old session would)."""

    def sign_in(user, *, long_ago=False):
        client = APIClient()
        body = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json").json()
        if long_ago:
            UserSession.objects.filter(pk=body["session"]["id"]).update(
                authenticated_at=timezone.now() - timedelta(hours=2)
            )
            body = {**body, **client.post(REFRESH, {"refresh": body["refresh"]}, format="json").json()}
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        client.tokens = body
        client.user = user
        return client

    return sign_in
