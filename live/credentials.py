"""Is the credential that opened a stream still good? Asked every ``EVENTS_RECHECK_SECONDS``.

The person's own session (its access token, or a stream ticket naming it): the cached session state
that every request reads (``sessions_app.session_state``: one cache read; revocation forgets it, so
a revoked session is seen at the next check), and the access token's own expiry. A delegated
credential (a personal access token, an OAuth token): its authentication class runs again on the
request that opened the stream, as on any request, so a revoked or expired token, a revoked grant
or a deactivated person ends the stream the same way.
"""

import time
from collections.abc import Callable

from rest_framework.exceptions import APIException
from rest_framework.request import Request

from sessions_app import session_state


def credential_failure_check(request) -> Callable[[], str | None]:
    """A function answering None while the request's credential holds, else why the stream ends."""
    user_id = request.user.pk
    session_id = getattr(request, "session_id", None)
    if session_id is not None:
        expires = request.auth.payload.get("exp") if hasattr(request.auth, "payload") else None

        def session_failure():
            if expires is not None and time.time() >= expires:
                return "token_expired"
            return session_state.check(session_id, user_id)

        return session_failure

    authenticator = request.successful_authenticator
    django_request = request._request

    def delegated_failure():
        try:
            result = authenticator.authenticate(Request(django_request))
        except APIException:
            return "credential_ended"
        return None if result is not None and result[0].pk == user_id else "credential_ended"

    return delegated_failure
