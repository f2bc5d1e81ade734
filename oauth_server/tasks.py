from celery import shared_task
from oauth2_provider.models import clear_expired


@shared_task
def clear_expired_tokens() -> None:
    """django-oauth-toolkit's own cleanup (its ``cleartokens`` command): expired access tokens and codes,
    and refresh tokens once they can no longer reveal a reuse (expired, or revoked past their lifetime)."""
    clear_expired()
