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


def user_change_form(user, **fields) -> dict:
    """The POST data of the user's admin change page, as a browser sends it unchanged; ``fields``
    override form fields. The inlines' management forms come from the user admin as registered, so
    an app that adds an inline to it (sessions, linked identities) breaks no test that posts this."""
    from django.contrib import admin
    from django.test import RequestFactory

    data = {
        "email": user.email,
        "username": user.username,
        "full_name": user.full_name,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **{name: "on" for name in ("notify_email", "is_active", "is_staff", "is_superuser") if getattr(user, name)},
    }
    request = RequestFactory().get("/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)  # sees every inline
    for inline in admin.site.get_model_admin(type(user)).get_inline_instances(request, user):
        prefix = inline.get_formset(request, user).get_default_prefix()
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    for name, value in fields.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data
