from datetime import timedelta

import factory
from django.utils import timezone

from pats import tokens
from pats.models import PersonalAccessToken
from tests.factories.accounts import UserFactory


class PersonalAccessTokenFactory(factory.django.DjangoModelFactory):
    """A token row; ``token.secret`` is its secret, for ``Authorization: Bearer``.

    ``organizations=[...]`` sets the organizations it reaches (none by default: it reaches nothing).
    """

    class Meta:
        model = PersonalAccessToken
        skip_postgeneration_save = True

    secret = factory.LazyFunction(tokens.token_generate)
    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"script {n}")
    token_prefix = factory.LazyAttribute(lambda token: tokens.display_prefix(token.secret))
    token_hash = factory.LazyAttribute(lambda token: tokens.token_hash(token.secret))
    scopes = factory.LazyFunction(lambda: ["tasks:read"])
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, secret, **kwargs):
        token = super()._create(model_class, *args, **kwargs)
        token.secret = secret
        return token

    @factory.post_generation
    def organizations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organizations.set(extracted)
