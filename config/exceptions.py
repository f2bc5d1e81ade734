"""The error envelope: every failure the API answers has this one shape.

``{"success": false, "errors": [{"code": "...", "message": "...", "field": "..." | null}]}``

Validation errors give one entry per field problem, with dotted paths for nested fields.
A database that cannot be reached answers 503 ``service_unavailable`` with ``Retry-After``.
Unexpected exceptions are logged with the request id and answered 500 without internals.
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django_guid import get_guid
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import ApplicationError, NotAuthenticated, PayloadTooLarge, StorageUnavailable

logger = logging.getLogger("config.errors")

DEFAULT_RETRY_AFTER_SECONDS = 60


class RateLimited(exceptions.Throttled):
    default_code = "rate_limited"
    extra_detail_singular = extra_detail_plural = ""


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service this request needs is unavailable; try again shortly."
    default_code = "service_unavailable"
    wait = 30


# A database that is down, restarting or cut the connection (also a deadlock or a cancelled
# statement, as passing), or a file store that cannot be reached or refuses us (config.storage):
# 503 and Retry-After, not 500. Logged, since it may also hide a bug (a bucket's policy, say).
SERVICE_UNAVAILABLE = (DatabaseOperationalError, DatabaseInterfaceError, StorageUnavailable)


def log_service_unavailable(exc, request) -> None:
    detail = (str(exc).strip().splitlines() or [""])[0]
    logger.error(
        "Service unavailable on %s %s: %s: %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        type(exc).__name__,
        detail,
    )


# DRF's generic codes renamed where a clearer, stable name helps the client.
CODE_OVERRIDES = {"throttled": "rate_limited", "error": "server_error"}


def error_entry(code, message, field=None):
    return {"code": CODE_OVERRIDES.get(code, code), "message": str(message), "field": field}


def envelope(errors):
    return {"success": False, "errors": list(errors)}


def _flatten_validation(detail, field=None):
    if isinstance(detail, dict):
        for key, value in detail.items():
            if field is None and key in (api_settings.NON_FIELD_ERRORS_KEY, "detail"):
                name = None
            else:
                name = f"{field}.{key}" if field else str(key)
            yield from _flatten_validation(value, name)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                yield from _flatten_validation(item, f"{field}.{index}" if field else str(index))
            else:
                yield from _flatten_validation(item, field)
    else:
        yield error_entry(getattr(detail, "code", None) or "invalid", detail, field)


def errors_for(exc: exceptions.APIException) -> list[dict]:
    if isinstance(exc, exceptions.ValidationError):
        return list(_flatten_validation(exc.detail)) or [error_entry("invalid", "Invalid input.")]
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt's token errors: {"detail": ..., "code": ..., "messages": [...]}
        code = detail.get("code") or exc.default_code
        return [error_entry(str(code), detail.get("detail", exc.default_detail))]
    if isinstance(detail, list):
        return [error_entry(getattr(d, "code", exc.default_code), d) for d in detail]
    return [error_entry(getattr(detail, "code", None) or exc.default_code, detail)]


def server_error_entry():
    return error_entry(
        "server_error", f"An unexpected error occurred. Quote request id {get_guid() or '-'} when reporting it."
    )


def _django_error_detail(error: DjangoValidationError) -> exceptions.ErrorDetail:
    message = error.message % error.params if error.params else error.message
    return exceptions.ErrorDetail(str(message), code=error.code or "invalid")


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Services raise Django's ValidationError; the API answers it as a 400, one entry per problem."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [
                    _django_error_detail(e) for e in errors
                ]
                for field, errors in exc.error_dict.items()
            }
        )
    return exceptions.ValidationError([_django_error_detail(e) for e in exc.error_list])


def _from_application_error(exc: ApplicationError) -> exceptions.APIException:
    if isinstance(exc, NotAuthenticated):  # DRF's own class, so the answer carries WWW-Authenticate
        return exceptions.AuthenticationFailed(detail=exc.message, code=exc.code)
    api_exception = exceptions.APIException(detail=exc.message, code=exc.code)
    api_exception.status_code = exc.status_code
    api_exception.extra = exc.extra
    api_exception.wait = getattr(exc, "wait", None)  # answered as Retry-After
    return api_exception


def _as_api_exception(exc):
    if isinstance(exc, ApplicationError):
        return _from_application_error(exc)
    if isinstance(exc, DjangoValidationError):
        return as_drf_validation_error(exc)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return _from_application_error(PayloadTooLarge())
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("The request could not be processed.", code="bad_request")
    return exc


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: answer every exception in the envelope."""
    database_down = isinstance(exc, SERVICE_UNAVAILABLE)
    if database_down:
        log_service_unavailable(exc, context.get("request"))
        exc = ServiceUnavailable()
    exc = _as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.error(
            "Unhandled exception on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        set_rollback()
        from rest_framework.response import Response

        response = Response(envelope([server_error_entry()]), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        response.exception = True
        response._has_been_logged = True  # logged above, with the traceback; not again by django.request
        return response

    response = drf_exception_handler(exc, context)
    errors = errors_for(exc)
    extra = getattr(exc, "extra", None)
    if extra and len(errors) == 1:
        errors[0] = {**errors[0], **{key: value for key, value in extra.items() if key not in errors[0]}}
    response.data = envelope(errors)
    # A bearer challenge of its own (RFC 6750 §3: ``error="invalid_token"``, ``"insufficient_scope"``)
    # rather than the authentication class's plain one that DRF set.
    challenge = getattr(exc, "www_authenticate", None)
    if challenge:
        response["WWW-Authenticate"] = challenge
    wait = getattr(exc, "wait", None)
    if wait:
        response["Retry-After"] = str(math.ceil(wait))
    elif isinstance(exc, exceptions.Throttled):
        response["Retry-After"] = str(DEFAULT_RETRY_AFTER_SECONDS)
    if database_down:
        response._has_been_logged = True  # logged above, once; not again by django.request
    return response


def json_error_response(status_code, code, message):
    return JsonResponse(envelope([error_entry(code, message)]), status=status_code)


def service_unavailable_response(*, api: bool):
    """503 outside DRF (Django's handlers): the envelope on API paths, plain text elsewhere."""
    if api:
        response = json_error_response(503, ServiceUnavailable.default_code, ServiceUnavailable.default_detail)
    else:
        response = HttpResponse("Service temporarily unavailable; try again shortly.\n", status=503)
        response["Content-Type"] = "text/plain; charset=utf-8"
    response["Retry-After"] = str(ServiceUnavailable.wait)
    return response
