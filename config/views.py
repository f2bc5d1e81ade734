"""Django-level error views: JSON envelope on API paths, Django's own pages elsewhere."""

import sys

from django.http import FileResponse, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.errors import NotFound
from config.exceptions import (
    SERVICE_UNAVAILABLE,
    envelope,
    error_entry,
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


# The schema's entry for the redirect of ``stored_file_attachment``, beside the 200 of local files.
STORED_FILE_REDIRECT = OpenApiResponse(
    description="With the shared bucket (`STORAGE_BACKEND=s3`): `Location` is a presigned link to the file, valid "
    "for `STORAGE_S3_PRESIGNED_URL_SECONDS` (5 minutes by default), which the bucket answers as the same attachment; "
    "follow it (browsers and `fetch` do). Local files answer 200 with the file itself."
)


def stored_file_attachment(field, *, filename: str, content_type: str, missing: str) -> HttpResponse:
    """A stored file (a ``FileField``'s) as an attachment no cache keeps (it may have been reached by a signed
    link, its own credential); 404 ``not_found`` saying ``missing`` when the storage lost it.

    A storage that makes presigned links (the bucket, ``config.storage``) is answered by a 302 to one, short-lived
    and naming the file as an attachment, so the bytes go from the bucket to the client and no web process
    spends a thread on them; the object is looked up first, so a lost file still answers the 404 here rather
    than the bucket's error page. Local files are served by this process.
    """
    storage = field.storage
    presign = getattr(storage, "presigned_download_url", None)
    if presign is not None:
        if not storage.exists(field.name):
            raise NotFound(missing)
        response = HttpResponseRedirect(presign(field.name, filename=filename, content_type=content_type))
    else:
        try:
            file = field.open("rb")
        except FileNotFoundError:
            raise NotFound(missing) from None
        response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


API_NOT_FOUND = "api-not-found"


def _path_but_for_its_slash(request) -> str | None:
    """The real path that differs from the request's only by a trailing slash, or None."""
    path = request.path_info
    other = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        match = resolve(other, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return None if match.url_name == API_NOT_FOUND else other


def api_not_found(request, *args, **kwargs):
    """404 in the envelope. A path that is real but for its trailing slash (``/api/v1/docs``, ``/api/v1/tasks/``):
    a ``GET`` or ``HEAD`` is redirected there (301, the query kept), which a browser or ``fetch`` follows;
    other methods answer 404 naming it in ``suggested_path``, since a redirect would make some clients repeat
    a ``POST`` as a ``GET``."""
    other = _path_but_for_its_slash(request)
    if other is None:
        return json_error_response(404, "not_found", "No API endpoint at this path.")
    location = request.path[: len(request.path) - len(request.path_info)] + other
    if request.method in ("GET", "HEAD"):
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{location}?{query}" if query else location)
    entry = error_entry("not_found", f"No API endpoint at this path; did you mean {location}?")
    return JsonResponse(envelope([{**entry, "suggested_path": location}]), status=404)


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
    if isinstance(sys.exc_info()[1], SERVICE_UNAVAILABLE):
        return service_unavailable_response(api=is_api_path(request.path))
    if is_api_path(request.path):
        return JsonResponse(envelope([server_error_entry()]), status=500)
    return defaults.server_error(request)
