from dataclasses import dataclass, field
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from organizations.models import Invitation, InvitationEmail, Membership, Organization, Role, hash_token
from tests.factories.accounts import UserFactory

MEMBER_ROLES = ["owner", "admin", "member", "viewer"]
# Everyone a role test asks: the four roles, a signed-in user of another organization, nobody.
CALLERS = [*MEMBER_ROLES, "outsider", "anonymous"]


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation; the raw token (as in the email link) is on ``invitation.token``."""

    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token = factory.Sequence(lambda n: f"test-invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation


class InvitationEmailFactory(factory.django.DjangoModelFactory):
    """An invitation's email job row, not sent yet."""

    class Meta:
        model = InvitationEmail

    invitation = factory.SubFactory(InvitationFactory)


@dataclass
class OrgWithRoles:
    """An organization with one user per role, as role tests need: ``org.admin``, ``org.users["viewer"]``."""

    organization: Organization
    users: dict[str, User] = field(default_factory=dict)

    @property
    def id(self):
        return self.organization.pk

    def __getattr__(self, name):
        if name in MEMBER_ROLES:
            return self.users[name]
        raise AttributeError(name)


def make_org_with_roles(**kwargs) -> OrgWithRoles:
    org = OrgWithRoles(OrganizationFactory(**kwargs))
    for name in MEMBER_ROLES:
        org.users[name] = MembershipFactory(organization=org.organization, role=Role.from_label(name)).user
    return org
