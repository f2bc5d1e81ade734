"""The events an endpoint may subscribe to: the organization changes (``organizations.changes.Action``)
that concern what an organization's members see. The rest (webhooks' own changes, audit-only ones)
are not sent out.
"""

ALL = "*"
PING = "webhook.ping"

# Strings rather than ``Action`` members: ``task.restored`` comes with the trash (issue 14).
EVENT_TYPES = (
    "task.created",
    "task.updated",
    "task.deleted",
    "task.restored",
    "comment.created",
    "member.added",
    "member.removed",
    "member.role_changed",
    "invitation.accepted",
    "import.finished",
    "report.export_ready",
)


def subscribed(events: list[str], event_type: str) -> bool:
    return event_type in EVENT_TYPES and (ALL in events or event_type in events)
