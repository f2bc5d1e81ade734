"""Which redirect URIs a client may register: https anywhere, plain http only on a loopback address (a
native app's local listener, RFC 8252 section 7.3), never a fragment or credentials. Matching a request's
redirect URI against the registered ones is django-oauth-toolkit's: exact, except the port of a loopback
IP literal (127.0.0.1, [::1]), which may vary.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def redirect_uri_check(uri: str) -> None:
    """https anywhere; http only on a loopback host (RFC 8252 section 7.3); no fragment, no credentials."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000 or any(c.isspace() for c in uri):
        raise ValidationError("Each redirect URI must be an absolute URL.", code="invalid_redirect_uri")
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError("A redirect URI must be an https URL, or http on a loopback address.",
                              code="invalid_redirect_uri")  # fmt: skip
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValidationError("Plain http is allowed only for loopback redirect URIs (127.0.0.1, [::1]).",
                              code="invalid_redirect_uri")  # fmt: skip
    if "#" in uri or "@" in parts.netloc:
        raise ValidationError("A redirect URI has no fragment and no credentials.", code="invalid_redirect_uri")
