"""django-csp's middleware, its two headers built once per settings instead of on every response.

django-csp builds the Content-Security-Policy headers from the settings for every response: each policy's parts
turned into a dict, every directive joined (30-50 µs a response on a 2-CPU machine, a percent of issue 16's fixed
cost, docs/performance.md). A response whose view set no policy of its own (``csp_update``, ``csp_replace``,
``csp_exempt`` and their report-only forms: the ``_csp_*`` attributes) and whose request took no nonce gets the very
same strings every time; those are built once, and rebuilt when a test changes the settings. Any other response goes
through django-csp's own ``process_response``.
"""

import functools
import http

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_VIEW_POLICY_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_EXEMPT = (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)


def _excluded_prefixes(setting: str) -> tuple[str, ...]:
    return tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())


@functools.cache
def _headers() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``(header, policy, excluded path prefixes)`` of each policy that is set, as django-csp builds them."""
    candidates = (
        (HEADER, build_policy(), _excluded_prefixes("CONTENT_SECURITY_POLICY")),
        (HEADER_REPORT_ONLY, build_policy(report_only=True), _excluded_prefixes("CONTENT_SECURITY_POLICY_REPORT_ONLY")),
    )
    return tuple(candidate for candidate in candidates if candidate[1])


@receiver(setting_changed)
def _forget_headers(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _headers.cache_clear()


class CSPMiddleware(middleware.CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _VIEW_POLICY_ATTRIBUTES
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for header, policy, excluded in _headers():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent no-op.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
