import secrets
import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from oauth_server.models import AccessToken, Application, Grant, IDToken, OAuthGrant, RefreshToken
from tests.factories.accounts import UserFactory

CLIENT_SECRET = "client-secret-for-tests-0123456789"


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A public client of the authorization code flow; ``confidential=True`` for one with a secret
    (CLIENT_SECRET), ``client_credentials=True`` for a confidential client of that grant."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    class Params:
        confidential = factory.Trait(client_type=Application.CLIENT_CONFIDENTIAL)
        client_credentials = factory.Trait(
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            redirect_uris="",
        )

    name = factory.Sequence(lambda n: f"Assistant {n}")
    client_type = Application.CLIENT_PUBLIC
    authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    redirect_uris = "http://127.0.0.1/callback https://app.example.com/callback"
    client_secret = CLIENT_SECRET
    algorithm = Application.RS256_ALGORITHM


class OAuthGrantFactory(factory.django.DjangoModelFactory):
    """A person's consent; ``organizations=[...]`` to cover some."""

    class Meta:
        model = OAuthGrant
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    application = factory.SubFactory(ApplicationFactory)
    scopes = factory.LazyFunction(lambda: ["profile", "tasks:read"])

    @factory.post_generation
    def organizations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organizations.set(extracted)


class GrantFactory(factory.django.DjangoModelFactory):
    """An authorization code (DOT's "grant")."""

    class Meta:
        model = Grant

    oauth_grant = factory.SubFactory(OAuthGrantFactory)
    user = factory.SelfAttribute("oauth_grant.user")
    application = factory.SelfAttribute("oauth_grant.application")
    code = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))
    redirect_uri = "http://127.0.0.1/callback"
    scope = "profile"
    code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    code_challenge_method = "S256"


class IDTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IDToken

    user = factory.SubFactory(UserFactory)
    application = factory.SubFactory(ApplicationFactory)
    jti = factory.LazyFunction(uuid.uuid4)
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    scope = "openid"


class AccessTokenFactory(factory.django.DjangoModelFactory):
    """A token row (its raw value is not kept); the flow tests get real ones from the token endpoint."""

    class Meta:
        model = AccessToken

    oauth_grant = factory.SubFactory(OAuthGrantFactory)
    user = factory.SelfAttribute("oauth_grant.user")
    application = factory.SelfAttribute("oauth_grant.application")
    token = ""
    token_checksum = factory.LazyFunction(lambda: secrets.token_hex(32))
    jti = factory.LazyFunction(lambda: uuid.uuid4().hex)
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    scope = "profile"


class RefreshTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RefreshToken

    access_token = factory.SubFactory(AccessTokenFactory)
    oauth_grant = factory.SelfAttribute("access_token.oauth_grant")
    user = factory.SelfAttribute("access_token.user")
    application = factory.SelfAttribute("access_token.application")
    token = ""
    token_checksum = factory.LazyFunction(lambda: secrets.token_hex(32))
    token_family = factory.LazyFunction(uuid.uuid4)
