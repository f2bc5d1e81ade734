"""Text helpers that know no domain."""

ELLIPSIS = "…"


def truncate(text, limit: int, *, marker: str = ELLIPSIS) -> str:
    """``text`` (anything, as ``str``) in at most ``limit`` characters, for a bounded field, a log line
    or a preview. A cut text ends with ``marker``, so a reader sees that something is missing."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker[:limit]
