"""Every second-factor endpoint is limited per account and per address, with the 429 envelope."""

import pytest

from tests.factories import UserFactory
from tests.mfa.conftest import CONFIRM, RECOVERY_CODES, TOTP
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS}
    return settings.RATE_LIMITS


def assert_429(response):
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


# (rate name, method, path, body): each endpoint, as a signed-in person without a second factor calls it.
ENDPOINTS = [
    ("mfa_enrol", "post", TOTP, None),
    ("mfa_confirm", "post", CONFIRM, {"code": "123456"}),
    ("mfa_disable", "delete", TOTP, None),
    ("mfa_recovery_codes", "post", RECOVERY_CODES, None),
]


@pytest.mark.parametrize(("rate", "method", "path", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_per_account(client_for, limits, rate, method, path, body):
    limits[f"{rate}_account"] = "2/h"
    user = UserFactory()
    for address in ("198.51.100.1", "198.51.100.2"):  # a new address does not reset the account's count
        assert getattr(client_for(user), method)(path, body, format="json", REMOTE_ADDR=address).status_code != 429
    assert_429(getattr(client_for(user), method)(path, body, format="json", REMOTE_ADDR="198.51.100.3"))
    # Another account is not limited.
    assert getattr(client_for(UserFactory()), method)(path, body, format="json").status_code != 429


@pytest.mark.parametrize(("rate", "method", "path", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_per_address(client_for, limits, rate, method, path, body):
    limits[f"{rate}_ip"] = "2/h"
    for _ in range(2):
        assert getattr(client_for(UserFactory()), method)(path, body, format="json").status_code != 429
    assert_429(getattr(client_for(UserFactory()), method)(path, body, format="json"))
    other = getattr(client_for(UserFactory()), method)(path, body, format="json", REMOTE_ADDR="198.51.100.9")
    assert other.status_code != 429


def test_codes_at_sign_in_are_limited_per_account_whatever_the_token(limits, start_login, finish_login, enrolled):
    limits["mfa_login_account"] = "3/h"
    for _ in range(3):
        token = start_login(enrolled.user)["mfa_token"]
        assert_error(finish_login(token, "000000" if enrolled.code() != "000000" else "111111"), 401, "invalid_code")
    # A fresh token does not reset the count: it is the account's.
    assert_429(finish_login(start_login(enrolled.user)["mfa_token"], enrolled.code()))


def test_codes_at_sign_in_are_limited_per_address(limits, finish_login):
    limits["mfa_login_ip"] = "2/m"
    for _ in range(2):
        assert_error(finish_login("made-up", "123456"), 401, "mfa_token_invalid")
    assert_429(finish_login("made-up", "123456"))
