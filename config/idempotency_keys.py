"""What an ``Idempotency-Key`` is and which POSTs take one: shared by the middleware (``idempotency``) and
the OpenAPI schema (``config.schema``). The mechanism itself is the ``idempotency`` app; docs/api/concurrency.md.
"""

import re

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 255
# Printable ASCII, no quote or backslash: a UUID, a ULID, any client's random token. The IETF draft makes
# the value a structured-field string ("..."), so surrounding double quotes are accepted and dropped.
KEY_CHARACTERS = rf"[\x20-\x21\x23-\x5b\x5d-\x7e]{{1,{MAX_LENGTH}}}"
KEY_PATTERN = re.compile(KEY_CHARACTERS)
# The header's value as the OpenAPI schema states it: the key, quoted or not.
HEADER_PATTERN = rf'^({KEY_CHARACTERS}|"{KEY_CHARACTERS}")$'
KEY_RULE = f"1 to {MAX_LENGTH} printable ASCII characters, without quote or backslash (a UUID is a good key)"


def parse_key(value: str) -> str | None:
    """The key a header value gives, or None when it is malformed."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    if not KEY_PATTERN.fullmatch(value):
        return None
    return value


def takes_idempotency_key(view_class, action: str | None) -> bool:
    """Whether this POST keeps its answer for a retry with the same key.

    A view opts out with ``idempotency_exempt``: ``True`` (an APIView), or the names of the actions (a
    viewset) whose answer shows a secret once (a new token, a signing secret, recovery codes), which must
    not be stored. Anonymous callers never get one (the middleware checks who calls).
    """
    exempt = getattr(view_class, "idempotency_exempt", False)
    if exempt is True:
        return False
    return not (exempt and action in exempt)
