import hashlib
import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from sso.models import Provider, SocialIdentity, SSOAttempt
from tests.factories.accounts import UserFactory


class SocialIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialIdentity

    user = factory.SubFactory(UserFactory)
    provider = Provider.OIDC
    subject = factory.Sequence(lambda n: f"subject-{n}")
    email = factory.LazyAttribute(lambda identity: identity.user.email)
    email_verified = True


class SSOAttemptFactory(factory.django.DjangoModelFactory):
    """An attempt row; ``sso.services.sso_authorize`` starts one for real (and knows its state and binding)."""

    class Meta:
        model = SSOAttempt

    state_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(16)).hexdigest())
    binding_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(16)).hexdigest())
    provider = Provider.GITHUB
    redirect_uri = "http://localhost:3000/sso/callback"
    code_verifier = factory.LazyFunction(lambda: secrets.token_urlsafe(64))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))
