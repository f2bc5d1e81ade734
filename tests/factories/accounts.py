from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import EmailVerification, EmailVerificationPurpose, User

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose email is verified, so that tests of other things meet the usual account;
    ``UserFactory(unverified=True)`` for one who has not proved their address yet."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        unverified = factory.Trait(email_verified_at=None)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)


class EmailVerificationFactory(factory.django.DjangoModelFactory):
    """A verification row as the request makes it, before its email is sent (no token or code yet)."""

    class Meta:
        model = EmailVerification

    user = factory.SubFactory(UserFactory, unverified=True)
    email = factory.SelfAttribute("user.email")
    purpose = EmailVerificationPurpose.VERIFY
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
