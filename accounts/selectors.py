"""Reads of users that other apps use."""

from django.contrib.auth import get_user_model

from accounts.models import normalize_email


def user_get_by_identifier(*, identifier: str):
    """The account an email or a username names (case-insensitively), or None."""
    User = get_user_model()
    if "@" in identifier:
        return User.objects.filter(email=normalize_email(identifier)).first()
    return User.objects.filter(username__iexact=identifier).first()
