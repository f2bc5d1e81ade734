from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.selectors import user_get_by_identifier


class EmailOrUsernameBackend(ModelBackend):
    """Sign in with the email or the @username, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        user = user_get_by_identifier(identifier=identifier)
        if user is None:
            # Spend the same time as a wrong password, so timing does not reveal accounts.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
