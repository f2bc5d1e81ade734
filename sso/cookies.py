"""The ``sso_binding`` cookie: it ties a single sign-on attempt to the browser that started it.

Set (HttpOnly, Secure, SameSite=Lax, path ``/api/v1/oauth/``) by the responses that start an attempt;
the attempt keeps only its hash, and the callback must bring it back. So a ``code`` and ``state``
planted on someone else's browser (login CSRF: signing the victim in to the attacker's account)
finish nowhere. A browser frontend on another origin of the same site calls the API with
credentials (``fetch(..., {credentials: "include"})``, ``CORS_ALLOW_CREDENTIALS=true``); a native
client keeps the cookie in its HTTP client's cookie store between the two calls.
"""

from django.conf import settings

COOKIE_NAME = "sso_binding"
COOKIE_PATH = "/api/v1/oauth/"


def binding_from(request) -> str | None:
    return request.COOKIES.get(COOKIE_NAME) or None


def binding_cookie_set(response, binding: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        binding,
        max_age=settings.SSO_ATTEMPT_SECONDS,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="Lax",
    )
