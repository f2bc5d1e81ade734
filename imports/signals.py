"""What this app tells others, without knowing them."""

from django.dispatch import Signal

# Sent by the runner with ``job`` (its checkpoint just saved) inside the transaction of each committed
# batch: a receiver that hands it on (the live stream) waits for the commit.
import_progressed = Signal()
