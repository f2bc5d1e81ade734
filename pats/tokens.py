"""The secret of a personal access token: its format, its checksum and its hash.

``twp_`` + 32 random base62 characters + a 6-character base62 CRC32 checksum of them, 42 characters in
all, matched by ``TOKEN_PATTERN``. The fixed prefix lets secret scanners (and people) recognise a
leaked token; the checksum lets them, and the authentication class, tell a real one from a look-alike
without a database query. Only the SHA-256 of the whole token is stored: a database leak gives no
usable token, and looking one up by its hash is an equality on a digest, not a comparison of secrets.
"""

import hashlib
import re
import secrets
import string
import zlib

PREFIX = "twp_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62
TOKEN_PATTERN = re.compile(rf"\b{PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}\b")
# The characters after the prefix that the API and the admin show, to tell tokens apart.
DISPLAY_LENGTH = 8


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, ALPHABET[0])


def checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def token_generate() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{PREFIX}{random_part}{checksum(random_part)}"


def is_well_formed(token: str) -> bool:
    """The prefix, the length, the alphabet and the checksum: no database needed."""
    if not TOKEN_PATTERN.fullmatch(token):
        return False
    body = token[len(PREFIX) :]
    return secrets.compare_digest(checksum(body[:RANDOM_LENGTH]), body[RANDOM_LENGTH:])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """What is kept in clear to name the token in lists: ``twp_`` and the first characters."""
    return token[: len(PREFIX) + DISPLAY_LENGTH]
