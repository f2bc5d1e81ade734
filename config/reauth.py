"""Recent authentication: sensitive changes (turning a second factor off, new recovery codes, deleting
the account) need the person to have proved who they are moments ago, not just to hold a token.

Access tokens carry ``auth_time`` (seconds since the epoch), the time their session last proved it:
at sign-in, or at ``POST /auth/reauthenticate``. Reading it from the token keeps this check free of a
database query and of any app.
"""

import time

from django.conf import settings

from config.errors import Forbidden


class ReauthenticationRequired(Forbidden):
    default_code = "reauthentication_required"
    default_message = "Confirm it is you first: POST /api/v1/auth/reauthenticate, then try again."


def authenticated_recently(request) -> bool:
    auth_time = request.auth.get("auth_time") if request.auth is not None else None
    if not isinstance(auth_time, int | float):
        return False
    return time.time() - auth_time <= settings.REAUTHENTICATION_WINDOW_SECONDS


def require_recent_authentication(request) -> None:
    """Raise 403 ``reauthentication_required`` unless the caller's session proved itself recently."""
    if not authenticated_recently(request):
        raise ReauthenticationRequired()
