from accounts.signals import CredentialsChange
from pats.models import PersonalAccessToken
from pats.services import token_revoke_all

# Account recovery may follow a stolen password, whose thief could have made tokens; a deactivated
# account's tokens should not come back with a reactivation. A password change keeps them (pats.services).
REVOKING_CHANGES = {CredentialsChange.PASSWORD_RESET, CredentialsChange.USER_DEACTIVATED}


def tokens_revoke_on_credentials_change(sender, *, user, change, **kwargs):
    if change in REVOKING_CHANGES:
        token_revoke_all(user=user, reason=str(change))


def tokens_revoke_on_anonymise(sender, *, user, **kwargs):
    """An anonymised account keeps no token (the audit log keeps their ids)."""
    PersonalAccessToken.objects.filter(user=user).delete()
