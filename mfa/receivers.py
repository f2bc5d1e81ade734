from mfa import services


def challenges_end_on_credentials_change(sender, *, user, change, keep_session_id=None, **kwargs):
    """A password that changed (or an account deactivated) also spends the sign-ins waiting for a code."""
    services.mfa_challenge_end_all(user=user)


def factors_erase_on_anonymise(sender, *, user, **kwargs):
    """A deleted account that is anonymised keeps no second factor."""
    services.mfa_erase(user=user)
