"""The authorization code flow end to end, as a real client (Authlib) and a person's browser go through it."""

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError

from audit.models import AuditEvent
from oauth_server.models import AccessToken, OAuthGrant, RefreshToken
from tests.oauth_server.conftest import AUTHORIZE, BASE, TOKEN, code_of, oauth_session

pytestmark = pytest.mark.django_db
ME = f"{BASE}/api/v1/users/me"


def test_authorize_consent_token_and_api_call(authorized, org):
    session = authorized()
    token = session.token
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"]
    assert token["expires_in"] > 0
    assert set(token["scope"].split()) == {"profile", "tasks:read"}
    response = session.get(ME)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(org.member.pk)
    grant = OAuthGrant.objects.get(user=org.member)
    assert set(grant.scopes) == {"profile", "tasks:read"}
    assert list(grant.organizations.all()) == [org.organization]
    consent = AuditEvent.objects.get(kind=AuditEvent.Kind.OAUTH_CONSENT_GRANTED, user=org.member)
    assert consent.data["organizations"] == [str(org.organization.pk)]


def test_tokens_are_stored_hashed(authorized):
    session = authorized()
    access, refresh = session.token["access_token"], session.token["refresh_token"]
    for row in [*AccessToken.objects.all(), *RefreshToken.objects.all()]:
        assert row.token == ""
        assert access not in str(row.__dict__)
        assert refresh not in str(row.__dict__)
    assert RefreshToken.objects.filter(token_checksum__isnull=False).count() == 1


def test_deny_sends_access_denied_back_and_grants_nothing(public_client, browser):
    session = oauth_session(public_client.client_id)
    url, state = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    location = browser.authorize(url, allow=False)
    assert "error=access_denied" in location
    assert f"state={state}" in location
    assert not OAuthGrant.objects.exists()


def test_the_person_narrows_the_organizations(authorized, org, browser):
    from tests.factories import MembershipFactory, OrganizationFactory

    other = OrganizationFactory(name="Beta")
    MembershipFactory(organization=other, user=org.member)
    authorized(organizations=[other.pk])
    grant = OAuthGrant.objects.get(user=org.member)
    assert list(grant.organizations.all()) == [other]


def test_an_organization_the_person_is_not_in_cannot_be_granted(public_client, browser, org):
    from tests.factories import OrganizationFactory

    stranger = OrganizationFactory(name="Gamma")
    session = oauth_session(public_client.client_id)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    page = browser.consent_page(url)
    assert "Gamma" not in page.content.decode()
    answer = browser.answer(page, organizations=[org.organization.pk, stranger.pk])
    assert answer.status_code == 200
    assert b"not one of the available choices" in answer.content
    assert not OAuthGrant.objects.exists()


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(authorized):
    session = authorized()
    first = dict(session.token)
    second = session.refresh_token(TOKEN)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert session.get(ME).status_code == 200
    # The old refresh token again: refused, and the whole family (the new pair too) is revoked.
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(TOKEN, refresh_token=first["refresh_token"])
    assert refresh_error(refused) == "invalid_grant"
    session.token = second
    assert session.get(ME).status_code == 401
    with pytest.raises(OAuthError):
        session.refresh_token(TOKEN, refresh_token=second["refresh_token"])


def refresh_error(refused) -> str:
    return refused.value.error


def test_code_is_single_use_and_reuse_revokes_its_tokens(public_client, browser):
    session = oauth_session(public_client.client_id)
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    location = browser.authorize(url)
    session.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier)
    assert session.get(ME).status_code == 200
    refreshed = session.refresh_token(TOKEN)  # tokens derived from the code are revoked too

    replay = oauth_session(public_client.client_id)
    with pytest.raises(OAuthError) as refused:
        replay.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
    session.token = refreshed
    assert session.get(ME).status_code == 401
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.OAUTH_CODE_REUSED)
    assert event.user == browser.user
    assert event.data["client_id"] == public_client.client_id


def test_an_expired_code_is_refused(public_client, browser):
    from datetime import timedelta

    from django.utils import timezone

    from oauth_server.models import Grant

    session = oauth_session(public_client.client_id)
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    location = browser.authorize(url)
    code = Grant.objects.get(code=code_of(location))
    assert timedelta(minutes=9) < code.expires - timezone.now() <= timedelta(minutes=10)
    Grant.objects.filter(pk=code.pk).update(expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(TOKEN, authorization_response=location, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"


def test_a_wrong_code_verifier_is_refused(public_client, browser):
    session = oauth_session(public_client.client_id)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    location = browser.authorize(url)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(TOKEN, authorization_response=location, code_verifier=generate_token(48))
    assert refused.value.error == "invalid_grant"


def test_pkce_is_required_and_plain_is_refused(public_client, browser):
    query = (
        f"?response_type=code&client_id={public_client.client_id}&redirect_uri=http://127.0.0.1:8765/callback&state=s"
    )
    browser.client.force_login(browser.user)
    missing = browser.client.get(f"/api/v1/oauth/provider/authorize{query}")
    assert missing.status_code == 302
    assert "error=invalid_request" in missing["Location"]
    plain = browser.client.get(
        f"/api/v1/oauth/provider/authorize{query}&code_challenge=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        "&code_challenge_method=plain"
    )
    assert plain.status_code == 302
    assert "error=invalid_request" in plain["Location"]
    assert not OAuthGrant.objects.exists()


@pytest.mark.parametrize(
    ("redirect_uri", "allowed"),
    [
        ("http://127.0.0.1:8765/callback", True),
        ("http://127.0.0.1:50123/callback", True),  # RFC 8252: any port on a loopback IP
        ("http://127.0.0.1:50123/other", False),  # ... but the same path
        ("https://app.example.com/callback", True),
        ("https://app.example.com/callback/", False),  # exact match
        ("https://app.example.com/callback?x=1", False),
        ("https://evil.example.com/callback", False),
    ],
)
def test_redirect_uris_are_matched_exactly(public_client, browser, redirect_uri, allowed):
    session = oauth_session(public_client.client_id, redirect_uri=redirect_uri)
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    page = browser.consent_page(url)
    if allowed:
        assert page.status_code == 200
        assert b"Authorize" in page.content
    else:
        # Never redirected to an unregistered URI: the error is shown on our page.
        assert page.status_code == 400
        assert b"invalid_request" in page.content or b"Mismatching redirect URI" in page.content


def test_consent_page_shows_client_scopes_and_organizations(public_client, browser, org):
    session = oauth_session(public_client.client_id, scope="tasks:write reports:read")
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    page = browser.consent_page(url)
    html = page.content.decode()
    assert public_client.name in html
    assert "Create, edit, assign and delete tasks" in html
    assert "See your organizations&#x27; reports" in html
    assert org.organization.name in html
    assert "<script" not in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "http://127.0.0.1:8765" in page["Content-Security-Policy"]


def test_an_unknown_scope_is_refused(public_client, browser):
    session = oauth_session(public_client.client_id, scope="profile tasks:everything")
    url, _ = session.create_authorization_url(AUTHORIZE, code_verifier=generate_token(48))
    page = browser.consent_page(url)
    assert page.status_code == 302
    assert "error=invalid_scope" in page["Location"]


def test_openid_scope_gets_an_id_token(authorized):
    session = authorized(scope="openid profile")
    assert session.token.get("id_token")
