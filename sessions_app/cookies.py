"""The optional refresh cookie for browser frontends (``JWT_REFRESH_COOKIE``).

With it on, sign-in and refresh put the refresh token in an HttpOnly, Secure, SameSite=Strict cookie
sent only to the auth endpoints, and leave it out of the body, so a script in the page (an XSS) can
never read it. A refresh that relies on the cookie must pass Django's CSRF check: the
``X-CSRFToken`` header carries the ``csrf_token`` the sign-in answered (the CSRF cookie itself is
HttpOnly here). A refresh token sent in the body, as mobile and server clients do, needs no CSRF
token: nothing sends it on the client's behalf.
"""

from django.conf import settings
from django.middleware.csrf import get_token
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied

COOKIE_PATH = "/api/v1/auth/"


def refresh_cookie_enabled() -> bool:
    return settings.JWT_REFRESH_COOKIE


def refresh_cookie_set(response, *, request, refresh: str, max_age: int) -> None:
    """Put ``refresh`` in the cookie and hand the page the CSRF token its refresh calls must send."""
    response.set_cookie(
        settings.JWT_REFRESH_COOKIE_NAME,
        refresh,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="Strict",
    )
    response.data["csrf_token"] = get_token(request)


def refresh_cookie_clear(response) -> None:
    response.delete_cookie(settings.JWT_REFRESH_COOKIE_NAME, path=COOKIE_PATH, samesite="Strict")


def refresh_from_cookie(request) -> str | None:
    """The refresh token of the cookie, once the request passed the CSRF check; None without one."""
    raw = request.COOKIES.get(settings.JWT_REFRESH_COOKIE_NAME) if refresh_cookie_enabled() else None
    if raw:
        _enforce_csrf(request)
    return raw or None


def _enforce_csrf(request) -> None:
    """Django's CSRF check on this one request, through DRF's ``CSRFCheck`` as its SessionAuthentication runs it."""
    django_request = getattr(request, "_request", request)
    check = CSRFCheck(lambda _request: None)
    check.process_request(django_request)
    reason = check.process_view(django_request, None, (), {})
    if reason:
        raise PermissionDenied(f"CSRF check failed: {reason}", code="csrf_failed")
