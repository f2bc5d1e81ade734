"""The project's application errors: what a service raises when a request cannot be done.

Services raise these or Django's ``ValidationError``, never DRF exceptions, so the Django admin,
the operator commands and the workers can call them too. ``config.exceptions.api_exception_handler``
maps each to the error envelope (its ``status_code`` and stable ``code``); ``message_of`` gives the
admin and the commands the same words.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


class StorageUnavailable(OSError):
    """The file store (the shared bucket, ``config.storage``) could not be reached or refused the operation:
    not a missing file (that is ``FileNotFoundError``) but an outage or a misconfiguration. Answered as a
    database outage is, 503 with ``Retry-After`` (``config.exceptions.SERVICE_UNAVAILABLE``); a worker's job
    fails and is retried."""


class ApplicationError(Exception):
    """Base: a status, a stable machine-readable code, and a message for people."""

    status_code = 400
    default_code = "invalid"
    default_message = "The request could not be done."

    def __init__(self, message: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        # More machine-readable detail for the client, added to the error's entry in the envelope
        # (e.g. the organizations to hand over, with 409 ``last_owner``); never ``code``, ``message``, ``field``.
        self.extra = extra or {}
        super().__init__(self.message)


class NotAuthenticated(ApplicationError):
    """The credentials given (a password, a token) are not good; the code says which failure it was."""

    status_code = 401
    default_code = "authentication_failed"
    default_message = "Incorrect authentication credentials."


class NotFound(ApplicationError):
    """What the request names does not exist, or is not the caller's to see."""

    status_code = 404
    default_code = "not_found"
    default_message = "Not found."


class Forbidden(ApplicationError):
    """The caller is known but may not do this."""

    status_code = 403
    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    """The request is valid but clashes with the current state (e.g. removing the last owner)."""

    status_code = 409
    default_code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class Gone(ApplicationError):
    """It existed but can no longer be used; the code says why."""

    status_code = 410
    default_code = "gone"
    default_message = "This can no longer be used."


class TooManyAttempts(ApplicationError):
    """Refused for now after too many failures (a one-time code's back-off); ``wait`` seconds until the next try."""

    status_code = 429
    default_code = "rate_limited"
    default_message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, wait: float, code: str | None = None):
        super().__init__(message, code=code)
        self.wait = max(wait, 1)


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_code = "payload_too_large"
    default_message = "The request body is too large."


def error_items(exc: ApplicationError | ValidationError) -> list[tuple[str | None, str, str]]:
    """An error as (field or None, code, message) items, one per problem."""
    if isinstance(exc, ApplicationError):
        return [(None, exc.code, exc.message)]
    by_field = exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]
    return [
        (None if field in (None, "__all__") else field, error.code or "invalid", _text(error))
        for field, errors in by_field
        for error in errors
    ]


def _text(error: ValidationError) -> str:
    return str(error.message % error.params if error.params else error.message)


def messages_of(exc: ApplicationError | ValidationError) -> list[str]:
    """An error's messages for people (the admin, operator commands), fields named."""
    return [f"{field}: {message}" if field else message for field, _code, message in error_items(exc)]


# What a service raises when it refuses: callers outside the API (admin, commands) catch these.
SERVICE_ERRORS = (ApplicationError, ValidationError)


@contextmanager
def command_errors():
    """In an operator command: a service's refusal becomes a ``CommandError`` with the API's words."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        raise CommandError("; ".join(messages_of(exc))) from exc
