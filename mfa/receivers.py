from mfa import services


def challenges_end_on_credentials_change(sender, *, user, change, keep_session_id=None, **kwargs):
    """A password that changed (or an account deactivated) also spends the sign-ins waiting for a code."""
    services.mfa_challenge_end_all(user=user)
