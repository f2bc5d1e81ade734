"""Staff see linked identities: their own list (searchable by the person's email) and on each user's page."""

import pytest

from tests.factories import SocialIdentityFactory, SSOAttemptFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_identities_are_listed_and_searchable_by_the_persons_email(staff):
    ana = SocialIdentityFactory(user=UserFactory(email="ana@example.com"), provider="github", subject="gh-1")
    SocialIdentityFactory(user=UserFactory(email="bo@example.com"), provider="google", subject="g-2")
    response = staff.get("/admin/sso/socialidentity/", {"q": "ana@example"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ana]


def test_a_users_page_shows_their_identities(staff):
    identity = SocialIdentityFactory(provider="github", subject="gh-9", email="octo@example.com")
    response = staff.get(f"/admin/accounts/user/{identity.user.pk}/change/")
    assert response.status_code == 200
    assert "octo@example.com" in response.content.decode()


def test_attempts_are_read_only_and_hide_the_pkce_verifier(staff):
    attempt = SSOAttemptFactory()
    response = staff.get(f"/admin/sso/ssoattempt/{attempt.pk}/change/")
    assert response.status_code == 200
    assert attempt.code_verifier not in response.content.decode()
    assert staff.get("/admin/sso/ssoattempt/add/").status_code == 403
