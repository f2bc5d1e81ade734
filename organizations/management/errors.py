from django.core.management.base import CommandError
from rest_framework.exceptions import APIException

from config.exceptions import errors_for


def command_error(exc: APIException) -> CommandError:
    """The API's error messages, for an operator."""
    return CommandError(
        "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors_for(exc))
    )
