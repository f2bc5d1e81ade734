"""The per-account sign-in limit counts the account, whichever of its identifiers is guessed.

Counting the email and the username apart gave an attacker twice the guesses on one account.
An identifier that names no account is counted on its own (normalised), so the limit answers the
same way whether or not an account exists.
"""

import itertools

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.sessions_app.conftest import LOGIN

pytestmark = pytest.mark.django_db

LIMIT = 4


@pytest.fixture
def account_limit(settings):
    # Per account only: a fresh address for each attempt keeps the per-address limit out of the way.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_account": f"{LIMIT}/m"}
    return LIMIT


def attempts_until_limited(api_client, identifiers, password="wrong", limit=LIMIT) -> int:
    """How many sign-ins answer 401 before the first 429 (each from a new address)."""
    for count, identifier in enumerate(itertools.islice(itertools.cycle(identifiers), limit + 2)):
        response = api_client.post(
            LOGIN, {"email": identifier, "password": password}, REMOTE_ADDR=f"198.51.100.{count + 1}"
        )
        if response.status_code == 429:
            assert response.json()["errors"][0]["code"] == "rate_limited"
            return count
        assert response.status_code == 401, response.content
    return limit + 2


@pytest.mark.parametrize(
    "forms",
    [
        ["email"],
        ["username"],
        ["email", "username"],
        ["EMAIL", "Username", "email", "USERNAME"],
    ],
)
def test_the_limit_is_reached_at_the_same_count_whatever_identifiers_are_mixed(api_client, account_limit, forms):
    user = UserFactory(username="limited_user", email="limited@example.com")
    spelled = {
        "email": user.email,
        "EMAIL": user.email.upper(),
        "username": user.username,
        "Username": user.username.capitalize(),
        "USERNAME": user.username.upper(),
    }
    assert attempts_until_limited(api_client, [spelled[form] for form in forms]) == account_limit


def test_a_limited_account_is_refused_even_with_the_right_password_by_its_other_identifier(api_client, account_limit):
    user = UserFactory(username="limited_user", email="limited@example.com")
    attempts_until_limited(api_client, [user.email])
    response = api_client.post(LOGIN, {"email": user.username, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429


def test_accounts_are_counted_apart(api_client, account_limit):
    first = UserFactory(username="first_user", email="first@example.com")
    second = UserFactory(username="second_user", email="second@example.com")
    attempts_until_limited(api_client, [first.email, first.username])
    ok = api_client.post(LOGIN, {"email": second.username, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="192.0.2.1")
    assert ok.status_code == 200, ok.content


def test_an_unknown_identifier_is_limited_like_an_account(api_client, account_limit):
    assert attempts_until_limited(api_client, ["nobody@example.com", "NOBODY@example.com"]) == account_limit
    assert attempts_until_limited(api_client, ["no_such_user", "No_Such_User"]) == account_limit
