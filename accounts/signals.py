"""What accounts tells other apps, so that it depends on none of them."""

from django.db import models
from django.dispatch import Signal


class CredentialsChange(models.TextChoices):
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"


# Sent inside the transaction that changed a user's credentials, with ``user``, ``change`` (a
# ``CredentialsChange``) and ``keep_session_id``: the session that made the change, to keep signed in
# (a password change), or None. sessions_app ends the user's other sessions (sessions_app/apps.py).
credentials_changed = Signal()

# Sent inside the transaction that anonymises a deleted account (privacy.services.account_anonymise),
# with ``user`` (already anonymised: its old email is gone) and ``previous_email``. The user row stays,
# so that tasks and comments keep their author; an app that keeps rows about the person (linked
# sign-in identities, second factors, pending email changes) receives this and erases them.
user_anonymised = Signal()
