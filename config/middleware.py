import logging

from django.http import JsonResponse

from config.exceptions import (
    SERVICE_UNAVAILABLE,
    envelope,
    error_entry,
    log_service_unavailable,
    server_error_entry,
    service_unavailable_response,
)
from config.filters import multiple_value_parameters
from config.request_context import request_bound

logger = logging.getLogger("config.errors")

API_PREFIXES = ("/api/", "/health")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class RequestContextMiddleware:
    """Keeps the request in ``config.request_context`` while it is handled, so a record written deep in a
    service (the organization audit log) can say who acted, through what, from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_bound(request):
            return self.get_response(request)


def _resolved_to_no_endpoint(request) -> bool:
    from config.views import API_NOT_FOUND  # config.views imports this module

    return getattr(request.resolver_match, "url_name", None) == API_NOT_FOUND


class SingleValuedQueryMiddleware:
    """Refuses an API request that gives a query parameter twice (``?page=2&page=``): 400 ``repeated_parameter``,
    unless the view's filters take several values there (``config.filters.multiple_value_parameters``:
    ``?status=todo&status=done``).

    Django would otherwise silently keep the last value of a single-valued parameter, which may be a blank
    that then reads as "not given". Checked once the URL is resolved, since only the view knows its filters.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_path(request.path):
            return None
        repeated = {name for name, values in request.GET.lists() if len(values) > 1}
        if not repeated or _resolved_to_no_endpoint(request):
            return None  # no such endpoint: its 404 says more than which parameters it would take once
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        repeated -= multiple_value_parameters(view_class, getattr(view_func, "initkwargs", None))
        if not repeated:
            return None
        errors = [
            error_entry("repeated_parameter", "Give this query parameter once.", name) for name in sorted(repeated)
        ]
        return JsonResponse(envelope(errors), status=400)


class ApiErrorMiddleware:
    """Answers exceptions raised outside DRF views on API paths in the envelope, DEBUG or not.

    DRF views already answer through ``config.exceptions.api_exception_handler``; this
    catches the rest (plain Django views under ``/api/``), so no API client ever sees
    Django's HTML debug page or a stack trace. A database that is down answers 503, not 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None  # Django's handler500 (config.views.server_error) answers
        if isinstance(exception, SERVICE_UNAVAILABLE):
            log_service_unavailable(exception, request)
            response = service_unavailable_response(api=True)
            response._has_been_logged = True
            return response
        logger.error("Unhandled exception on %s %s", request.method, request.path, exc_info=exception)
        response = JsonResponse(envelope([server_error_entry()]), status=500)
        response._has_been_logged = True
        return response
