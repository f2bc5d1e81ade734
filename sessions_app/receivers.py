"""How sessions_app answers what accounts announces (connected in sessions_app/apps.py)."""

from accounts.signals import CredentialsChange
from sessions_app.models import RevokeReason
from sessions_app.services import session_revoke_all

REVOKE_REASONS = {
    CredentialsChange.PASSWORD_CHANGED: RevokeReason.PASSWORD_CHANGE,
    CredentialsChange.PASSWORD_RESET: RevokeReason.PASSWORD_RESET,
    CredentialsChange.USER_DEACTIVATED: RevokeReason.USER_DEACTIVATED,
}


def sessions_end_on_credentials_change(sender, *, user, change, keep_session_id=None, **kwargs) -> None:
    """New credentials sign out everywhere else: a password change keeps only the session that made it."""
    session_revoke_all(user=user, reason=REVOKE_REASONS[change], keep_session_id=keep_session_id)
