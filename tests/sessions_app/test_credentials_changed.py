"""sessions_app ends sessions when accounts announces new credentials (accounts.signals)."""

import pytest

from accounts.models import User
from accounts.signals import CredentialsChange, credentials_changed
from sessions_app.models import RevokeReason, UserSession
from sessions_app.services import session_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (CredentialsChange.PASSWORD_CHANGED, RevokeReason.PASSWORD_CHANGE),
        (CredentialsChange.PASSWORD_RESET, RevokeReason.PASSWORD_RESET),
        (CredentialsChange.USER_DEACTIVATED, RevokeReason.USER_DEACTIVATED),
    ],
)
def test_every_session_but_the_kept_one_ends_with_the_matching_reason(change, reason):
    user, other_user = UserFactory(), UserFactory()
    kept, ended = (session_create(user=user)[0] for _ in range(2))
    untouched = session_create(user=other_user)[0]

    credentials_changed.send(sender=User, user=user, change=change, keep_session_id=kept.pk)

    by_id = {session.pk: session for session in UserSession.objects.all()}
    assert by_id[kept.pk].revoked_at is None
    assert (by_id[ended.pk].revoked_at is not None, by_id[ended.pk].revoked_reason) == (True, reason)
    assert by_id[untouched.pk].revoked_at is None


def test_without_a_kept_session_all_end():
    user = UserFactory()
    sessions = [session_create(user=user)[0] for _ in range(2)]
    credentials_changed.send(sender=User, user=user, change=CredentialsChange.PASSWORD_RESET, keep_session_id=None)
    assert not UserSession.objects.filter(pk__in=[s.pk for s in sessions], revoked_at__isnull=True).exists()
