"""JWT_REFRESH_COOKIE: browser frontends keep the refresh token in an HttpOnly cookie the page
cannot read, and a refresh by that cookie must pass the CSRF check."""

import pytest
from rest_framework.test import APIClient

from sessions_app.models import UserSession
from tests.factories import DEFAULT_PASSWORD
from tests.sessions_app.conftest import LOGIN, ME, REFRESH, bearer

pytestmark = pytest.mark.django_db

LOGOUT = "/api/v1/auth/logout"


@pytest.fixture
def browser(settings):
    """A browser-like client: the refresh cookie on, and Django's CSRF check enforced as in production."""
    settings.JWT_REFRESH_COOKIE = True
    return APIClient(enforce_csrf_checks=True)


def sign_in(client, user) -> dict:
    response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return response


def test_sign_in_puts_the_refresh_token_in_a_locked_down_cookie_not_the_body(browser, user, settings):
    response = sign_in(browser, user)
    body = response.json()
    assert "refresh" not in body
    assert {"access", "access_expires_in", "refresh_expires_in", "csrf_token", "user", "session"} <= set(body)
    cookie = response.cookies[settings.JWT_REFRESH_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/"
    assert body["refresh_expires_in"] - 5 <= int(cookie["max-age"]) <= body["refresh_expires_in"]
    assert bearer(browser, body["access"]).get(ME).status_code == 200


def test_refresh_by_the_cookie_needs_the_csrf_token(browser, user, settings):
    body = sign_in(browser, user).json()
    old_cookie = browser.cookies[settings.JWT_REFRESH_COOKIE_NAME].value

    refused = browser.post(REFRESH, {})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "csrf_failed"
    assert browser.cookies[settings.JWT_REFRESH_COOKIE_NAME].value == old_cookie  # not rotated

    rotated = browser.post(REFRESH, {}, HTTP_X_CSRFTOKEN=body["csrf_token"])
    assert rotated.status_code == 200, rotated.content
    assert "refresh" not in rotated.json()
    new_cookie = rotated.cookies[settings.JWT_REFRESH_COOKIE_NAME].value
    assert new_cookie != old_cookie
    assert bearer(APIClient(), rotated.json()["access"]).get(ME).status_code == 200

    # The rotated-out token, replayed through the cookie, is reuse: the session ends.
    browser.cookies[settings.JWT_REFRESH_COOKIE_NAME] = old_cookie
    replay = browser.post(REFRESH, {}, HTTP_X_CSRFTOKEN=rotated.json()["csrf_token"])
    assert replay.status_code == 401
    assert replay.json()["errors"][0]["code"] == "refresh_token_reused"
    assert not UserSession.objects.get(pk=body["session"]["id"]).is_active


def test_a_refresh_token_in_the_body_needs_no_csrf_token(browser, user, settings):
    """Mobile and server clients send the token themselves: no browser sends it on their behalf."""
    sign_in(browser, user)
    raw = browser.cookies[settings.JWT_REFRESH_COOKIE_NAME].value
    client = APIClient(enforce_csrf_checks=True)
    assert client.post(REFRESH, {"refresh": raw}).status_code == 200


def test_without_cookie_or_body_the_refresh_token_is_required(browser):
    response = browser.post(REFRESH, {})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "required",
        "message": "This field is required.",
        "field": "refresh",
    }


def test_sign_out_clears_the_cookie(browser, user, settings):
    body = sign_in(browser, user).json()
    response = bearer(browser, body["access"]).post(LOGOUT)
    assert response.status_code == 204
    assert response.cookies[settings.JWT_REFRESH_COOKIE_NAME].value == ""
    assert int(response.cookies[settings.JWT_REFRESH_COOKIE_NAME]["max-age"]) == 0


def test_off_by_default_no_cookie_and_the_token_in_the_body(api_client, user, settings):
    response = sign_in(api_client, user)
    assert settings.JWT_REFRESH_COOKIE_NAME not in response.cookies
    assert "refresh" in response.json()
    assert "csrf_token" not in response.json()
