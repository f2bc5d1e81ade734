"""The development email backend: each message saved whole as a file, and one line logged per message.

The console backend printed every message whole (MIME headers, both parts, base64) into the dev server's
output; a developer needs only to know an email went out and to follow its link (verify the address, reset
the password, accept an invitation). ``make run`` uses this: the line names the recipients, the subject, the
links of the text part and the file holding the message (``EMAIL_FILE_PATH``).
"""

import logging
import re

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

logger = logging.getLogger("config.email")

LINK = re.compile(r"https?://[^\s<>\"')]+")


def email_summary(message) -> str:
    """``to a@b: "Subject" links: https://...`` for one ``EmailMessage``."""
    links = list(dict.fromkeys(LINK.findall(str(message.body or ""))))
    line = f'to {", ".join(message.recipients())}: "{message.subject}"'
    return line + (f" links: {' '.join(links)}" if links else "")


class DevelopmentEmailBackend(FileEmailBackend):
    """The file backend (``EMAIL_FILE_PATH``, one file per connection), plus a one-line summary per message."""

    def write_message(self, message):
        super().write_message(message)
        logger.info("Email %s (saved in %s)", email_summary(message), self._fname)
