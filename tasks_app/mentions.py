"""@username mentions in running text."""

import re
from collections.abc import Mapping

from accounts.models import USERNAME_PATTERN

# "@ana" but not the "@example" of "bob@example.com": the "@" must not follow a word character.
MENTION_RE = re.compile(rf"(?<![\w@])@({USERNAME_PATTERN})(?![A-Za-z0-9_])")


def handles_in(text: str) -> set[str]:
    """The lower-cased handles mentioned in ``text``."""
    return {match.lower() for match in MENTION_RE.findall(text or "")}


def mentioned_among(text: str, members_by_handle: Mapping) -> tuple:
    """The ids of the members ``text`` @mentions, in order, each once, from ``members_by_handle`` (lower-case
    username to id, resolved once for many texts: a CSV import's rows). Other handles stay plain text."""
    if "@" not in (text or ""):
        return ()
    handles = (match.lower() for match in MENTION_RE.findall(text))
    return tuple(dict.fromkeys(members_by_handle[handle] for handle in handles if handle in members_by_handle))
