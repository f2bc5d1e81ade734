"""Standard Webhooks signing (https://www.standardwebhooks.com/): ``whsec_`` secrets and ``v1,`` signatures.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the secret's bytes
after ``whsec_``, base64-decoded; the signature is ``v1,`` + base64 of the HMAC-SHA256. Several
signatures (during a secret rotation) are sent space-separated: a receiver accepts any that matches.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"


def secret_make() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def headers(*, secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given (the current one first)."""
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: " ".join(
            signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets_
        ),
    }
