"""factory_boy factories for every model, and ``make_org_with_roles`` (an organization with one user per role).

Factories write rows directly, bypassing the services: use them to arrange a test's world; call the
service itself when its side effects (activity, notifications, enqueued work) are what is tested.
"""

from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.imports import ImportJobFactory, ImportRowErrorFactory
from tests.factories.notifications import NotificationDeliveryFactory, NotificationFactory
from tests.factories.organizations import (
    CALLERS,
    MEMBER_ROLES,
    InvitationEmailFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    OrgWithRoles,
    make_org_with_roles,
)
from tests.factories.reports import ReportExportFactory, ReportSettingsFactory
from tests.factories.sessions import AuditEventFactory, UserSessionFactory
from tests.factories.sso import SocialIdentityFactory, SSOAttemptFactory
from tests.factories.tasks import CommentFactory, TaskActivityFactory, TaskFactory, TaskMentionFactory

__all__ = [
    "CALLERS",
    "DEFAULT_PASSWORD",
    "MEMBER_ROLES",
    "AuditEventFactory",
    "CommentFactory",
    "ImportJobFactory",
    "ImportRowErrorFactory",
    "InvitationEmailFactory",
    "InvitationFactory",
    "MembershipFactory",
    "NotificationDeliveryFactory",
    "NotificationFactory",
    "OrgWithRoles",
    "OrganizationFactory",
    "ReportExportFactory",
    "ReportSettingsFactory",
    "SSOAttemptFactory",
    "SocialIdentityFactory",
    "TaskActivityFactory",
    "TaskFactory",
    "TaskMentionFactory",
    "UserFactory",
    "UserSessionFactory",
    "make_org_with_roles",
]
