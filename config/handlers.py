"""The request handlers gunicorn (``config.wsgi``) and uvicorn (``config.asgi``) call: Django's, with each path's
URL resolution kept.

Django resolves every request's path anew, walking the URL patterns in order. The API's apps are included one
after the other under ``/api/v1/``, so a request to ``/api/v1/tasks`` first tries, and fails, every pattern of
the apps listed before it, each failure an exception and a list of the patterns tried: 0.2-0.3 ms of CPU per
request on a 2-CPU machine, a tenth of a request that reads nothing (docs/performance.md, issue 16's fixed
cost). A path resolves to the same match for as long as the URL configuration is the same, so the match of the
paths seen most recently is kept (``RESOLVED_PATHS``, least recently used out first) and shared: a
``ResolverMatch`` is read, never changed, by Django, DRF and this project. A path that matches nothing is not
kept (it raises); a request with a URL configuration of its own (``request.urlconf``) is resolved as Django does.
"""

import functools

import django
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_resolver

# Paths whose matches are kept per process: the list and detail paths in use (each object's own path is one),
# bounded so that requests for ever new paths cannot grow it (about 1.2 kB a path: under 1.5 MB).
RESOLVED_PATHS = 1024


@functools.lru_cache(maxsize=RESOLVED_PATHS)
def resolve(path: str):
    """The root URL configuration's match of ``path`` (``Resolver404`` when nothing matches, not kept).

    Without ``tried``, the patterns tried before the one that matched (a hundred lists for a path of the tasks
    app, 7.4 of the 8.6 kB a kept match took): Django keeps it for a view that wants to show it, no view here
    reads it, and a path that matches nothing (the 404 page's list) is never kept."""
    match = get_resolver().resolve(path)
    match.tried = []
    return match


@receiver(setting_changed)
def _urlconf_changed(setting, **kwargs):
    if setting == "ROOT_URLCONF":  # as Django clears its resolver then (tests' override_settings)
        resolve.cache_clear()


class ResolvedPathsMixin:
    def resolve_request(self, request):
        if hasattr(request, "urlconf"):
            return super().resolve_request(request)
        request.resolver_match = match = resolve(request.path_info)
        return match


class WSGIHandler(ResolvedPathsMixin, DjangoWSGIHandler):
    pass


class ASGIHandler(ResolvedPathsMixin, DjangoASGIHandler):
    pass


def get_wsgi_application() -> WSGIHandler:
    """``django.core.wsgi.get_wsgi_application`` with this module's handler."""
    django.setup(set_prefix=False)
    return WSGIHandler()
