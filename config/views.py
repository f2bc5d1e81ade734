"""Django-level error views: JSON envelope on API paths, Django's own pages elsewhere."""

import sys

from django.http import JsonResponse
from django.views import defaults
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.exceptions import (
    DATABASE_UNAVAILABLE,
    envelope,
    json_error_response,
    server_error_entry,
    service_unavailable_response,
)
from config.middleware import is_api_path


class PublicAPIView(APIView):
    """An endpoint anyone may call (sign-in, health): no authentication is attempted.

    Failed sign-ins still answer 401 with a ``WWW-Authenticate`` challenge; without one DRF
    would turn them into 403.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


def api_not_found(request, *args, **kwargs):
    return json_error_response(404, "not_found", "No API endpoint at this path.")


def bad_request(request, exception, template_name="400.html"):
    if is_api_path(request.path):
        return json_error_response(400, "bad_request", "The request could not be processed.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception, template_name="403.html"):
    if is_api_path(request.path):
        return json_error_response(403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception, template_name="404.html"):
    if is_api_path(request.path):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request, template_name="500.html"):
    # Django calls this while handling the exception, so it is still at hand (the admin, a middleware).
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable_response(api=is_api_path(request.path))
    if is_api_path(request.path):
        return JsonResponse(envelope([server_error_entry()]), status=500)
    return defaults.server_error(request)
