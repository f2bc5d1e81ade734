from sso.models import SocialIdentity, SSOAttempt


def identities_erase_on_anonymise(sender, *, user, **kwargs):
    """A deleted account that is anonymised keeps no link to a provider's account (nor its email)."""
    SocialIdentity.objects.filter(user=user).delete()
    SSOAttempt.objects.filter(user=user).delete()
