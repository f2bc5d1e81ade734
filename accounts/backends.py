from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.models import normalize_email


def user_by_identifier(identifier: str):
    """The account an email or a username names (case-insensitively), or None."""
    User = get_user_model()
    if "@" in identifier:
        return User.objects.filter(email=normalize_email(identifier)).first()
    return User.objects.filter(username__iexact=identifier).first()


class EmailOrUsernameBackend(ModelBackend):
    """Sign in with the email or the @username, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        user = user_by_identifier(identifier)
        if user is None:
            # Spend the same time as a wrong password, so timing does not reveal accounts.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
