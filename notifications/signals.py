"""What this app tells others, without knowing them."""

from django.dispatch import Signal

# Sent by ``notification_create`` with ``notifications`` (the rows just written), inside the transaction
# that wrote them: a receiver that hands them on (the live stream) waits for the commit.
notifications_created = Signal()
