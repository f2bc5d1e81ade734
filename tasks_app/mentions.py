"""@username mentions in running text."""

import re

from accounts.models import USERNAME_PATTERN

# "@ana" but not the "@example" of "bob@example.com": the "@" must not follow a word character.
MENTION_RE = re.compile(rf"(?<![\w@])@({USERNAME_PATTERN})(?![A-Za-z0-9_])")


def handles_in(text: str) -> set[str]:
    """The lower-cased handles mentioned in ``text``."""
    return {match.lower() for match in MENTION_RE.findall(text or "")}
