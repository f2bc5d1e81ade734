from dataclasses import dataclass, field

import pytest

from accounts.models import User
from organizations.models import Organization, Role
from tests.factories import UserFactory
from tests.organizations.factories import MembershipFactory, OrganizationFactory

MEMBER_ROLES = ["owner", "admin", "member", "viewer"]
# Everyone the role matrix asks: the four roles, a signed-in user of another organization, nobody.
CALLERS = [*MEMBER_ROLES, "outsider", "anonymous"]


@dataclass
class OrgWithRoles:
    """An organization with one user per role, as the role matrix needs."""

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


@pytest.fixture
def org(db) -> OrgWithRoles:
    return make_org_with_roles(name="Acme")


@pytest.fixture
def other_org(db) -> OrgWithRoles:
    return make_org_with_roles(name="Globex")


@pytest.fixture
def outsider(other_org) -> User:
    """Signed in and in an organization, just not in ``org``."""
    return other_org.owner


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def client_as(api_client, client_for, org, outsider):
    """``client_as("admin")``: an API client signed in as that role of ``org`` (or outsider, or anonymous)."""

    def make(caller: str):
        if caller == "anonymous":
            api_client.user = None
            return api_client
        return client_for(outsider if caller == "outsider" else org.users[caller])

    return make
