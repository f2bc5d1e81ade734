import pytest

from tests.factories import DEFAULT_PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"
CHROME_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.fixture
def login(api_client):
    """Sign in through the API as the frontend does; returns the response body."""

    def do(user, password=DEFAULT_PASSWORD, identifier=None, **extra):
        response = api_client.post(
            LOGIN, {"email": identifier or user.email, "password": password}, HTTP_USER_AGENT=CHROME_UA, **extra
        )
        assert response.status_code == 200, response.content
        return response.json()

    return do


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
