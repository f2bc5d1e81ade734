"""factory_boy factories for every model, and ``make_org_with_roles`` (an organization with one user per role).

Factories write rows directly, bypassing the services: use them to arrange a test's world; call the
service itself when its side effects (activity, notifications, enqueued work) are what is tested.
"""

from tests.factories.accounts import DEFAULT_PASSWORD, EmailVerificationFactory, UserFactory, user_change_form
from tests.factories.idempotency import IdempotencyKeyFactory
from tests.factories.imports import ImportJobFactory, ImportRowErrorFactory
from tests.factories.mfa import (
    MfaChallengeFactory,
    RecoveryCodeFactory,
    SecondFactorUserFactory,
    TOTPDeviceFactory,
    totp_code,
)
from tests.factories.notifications import NotificationDeliveryFactory, NotificationFactory
from tests.factories.oauth_server import (
    CLIENT_SECRET,
    AccessTokenFactory,
    ApplicationFactory,
    GrantFactory,
    IDTokenFactory,
    OAuthGrantFactory,
    RefreshTokenFactory,
)
from tests.factories.org_webhooks import WebhookDeliveryFactory, WebhookEndpointFactory
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
from tests.factories.orgaudit import OrganizationAuditRecordFactory
from tests.factories.pats import PersonalAccessTokenFactory
from tests.factories.privacy import AccountDeletionFactory, DataExportFactory
from tests.factories.reports import ReportExportFactory, ReportSettingsFactory
from tests.factories.sessions import AuditEventFactory, UserSessionFactory
from tests.factories.sso import SocialIdentityFactory, SSOAttemptFactory
from tests.factories.tasks import (
    CommentFactory,
    TaskActivityFactory,
    TaskFactory,
    TaskMentionFactory,
    TaskPageVersionFactory,
)

__all__ = [
    "CALLERS",
    "CLIENT_SECRET",
    "DEFAULT_PASSWORD",
    "MEMBER_ROLES",
    "AccessTokenFactory",
    "AccountDeletionFactory",
    "ApplicationFactory",
    "AuditEventFactory",
    "CommentFactory",
    "DataExportFactory",
    "EmailVerificationFactory",
    "GrantFactory",
    "IDTokenFactory",
    "IdempotencyKeyFactory",
    "ImportJobFactory",
    "ImportRowErrorFactory",
    "InvitationEmailFactory",
    "InvitationFactory",
    "MembershipFactory",
    "MfaChallengeFactory",
    "NotificationDeliveryFactory",
    "NotificationFactory",
    "OAuthGrantFactory",
    "OrgWithRoles",
    "OrganizationAuditRecordFactory",
    "OrganizationFactory",
    "PersonalAccessTokenFactory",
    "RecoveryCodeFactory",
    "RefreshTokenFactory",
    "ReportExportFactory",
    "ReportSettingsFactory",
    "SSOAttemptFactory",
    "SecondFactorUserFactory",
    "SocialIdentityFactory",
    "TOTPDeviceFactory",
    "TaskActivityFactory",
    "TaskFactory",
    "TaskMentionFactory",
    "TaskPageVersionFactory",
    "UserFactory",
    "UserSessionFactory",
    "WebhookDeliveryFactory",
    "WebhookEndpointFactory",
    "make_org_with_roles",
    "totp_code",
    "user_change_form",
]
