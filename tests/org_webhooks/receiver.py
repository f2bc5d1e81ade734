"""What a receiver does with an organization webhook: verify it the Standard Webhooks way.

Written as the docs (docs/api/webhooks.md) show it, from the specification, not from our signing code.
"""

import base64
import hashlib
import hmac
import time


def verify(secret: str, headers: dict, body: bytes, *, now: float | None = None, tolerance: int = 300) -> bool:
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if abs((now or time.time()) - int(timestamp)) > tolerance:
        return False
    for candidate in headers["webhook-signature"].split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False
