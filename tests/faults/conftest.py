import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from organizations.models import Role
from organizations.services import membership_add, organization_create
from tasks_app.services import task_create
from tests.factories import UserFactory

PASSWORD = "fault-drill-password-7"


def usable_in_production(user):
    """Give ``user`` a password hash production settings accept (the test settings hash with MD5)."""
    hasher = PBKDF2PasswordHasher()
    # Few iterations to keep set-up fast; the server upgrades the hash at the first sign-in, as it would.
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def workspace(transactional_db):
    """An organization with an owner, a member and a task, committed so another process sees them."""
    owner = usable_in_production(UserFactory(username="drill_owner", email="owner@drill.example"))
    member = usable_in_production(UserFactory(username="drill_member", email="member@drill.example"))
    organization = organization_create(name="Drill", created_by=owner)
    membership_add(organization=organization, email=member.email, role=Role.MEMBER, actor=owner)
    task = task_create(organization=organization, created_by=owner, title="Survive the outage")
    return {"owner": owner, "member": member, "organization": organization, "task": task}
