"""What single sign-on answers when it cannot finish: one error class, a stable code per failure.

Every failure of a callback is audited as ``SSO_LOGIN_FAILED`` with its ``reason`` (finer than the
code: which claim of the ID token, which check of the state) and answered in the error envelope.
"""

from config.errors import ApplicationError


class SSOError(ApplicationError):
    """A single sign-on that cannot finish: ``code`` for the client, ``reason`` for the audit log."""

    def __init__(self, code: str, message: str, *, status: int = 400, reason: str = "", user=None, identifier=""):
        super().__init__(message, code=code)
        self.status_code = status
        self.reason = reason or code
        self.user = user  # the account it concerns, if any, so its owner sees the attempt
        self.identifier = identifier


def invalid_state(reason: str) -> SSOError:
    return SSOError(
        "invalid_state",
        "This sign-in attempt is unknown, expired, already used or was started in another browser; start again.",
        reason=reason,
    )


def invalid_id_token(reason: str) -> SSOError:
    return SSOError("invalid_id_token", "The provider's ID token could not be verified.", reason=reason)


def provider_error(reason: str, message: str = "The provider refused the sign-in; start again.") -> SSOError:
    return SSOError("provider_error", message, reason=reason)


def provider_unavailable(reason: str) -> SSOError:
    return SSOError(
        "provider_unavailable",
        "The identity provider could not be reached; try again shortly.",
        status=503,
        reason=reason,
    )


def provider_bad_response(reason: str) -> SSOError:
    return SSOError(
        "provider_bad_response", "The identity provider answered something unexpected.", status=502, reason=reason
    )
