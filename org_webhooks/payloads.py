"""What an endpoint receives for a change: the Standard Webhooks envelope, or a Discord message.

Both are built when the change happens (in its transaction) and stored in the delivery row, so a
retry or a redelivery sends the resource as it was then, whatever happened to it since. ``data`` is
the resource as the API shows it, through the API's own serializers; a deleted resource is shown
as it was last (the target row the change carries, still in memory).
"""

import json

from django.conf import settings
from rest_framework.utils.encoders import JSONEncoder

from imports.models import ImportJob
from imports.serializers import ImportJobSerializer
from notifications.channels import discord_message
from organizations.models import Invitation, Membership, Organization
from organizations.serializers import InvitationSerializer, MembershipSerializer
from reports.models import ReportExport
from reports.serializers import ReportExportSerializer
from tasks_app.models import Comment, Task
from tasks_app.serializers import CommentSerializer, TaskSerializer


def _comment(comment: Comment) -> dict:
    return {**CommentSerializer(comment).data, "task": {"id": str(comment.task_id), "title": comment.task.title}}


SERIALIZERS = {
    Task: lambda task: TaskSerializer(task).data,
    Comment: _comment,
    Membership: lambda membership: MembershipSerializer(membership).data,
    Invitation: lambda invitation: InvitationSerializer(invitation).data,
    ImportJob: lambda job: ImportJobSerializer(job).data,
    ReportExport: lambda export: ReportExportSerializer(export).data,
}


def resource(target) -> dict | None:
    if target is None:
        return None
    render = SERIALIZERS.get(type(target))
    return json.loads(json.dumps(render(target), cls=JSONEncoder)) if render else {"id": str(target.pk)}


def envelope(*, event_type: str, occurred_at, organization: Organization, data) -> dict:
    return {
        "type": event_type,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "organization": {"id": str(organization.pk), "name": organization.name, "slug": organization.slug},
        "data": data,
    }


def body_bytes(payload: dict) -> str:
    """The body as sent: compact JSON, stored as text so every attempt signs the very same bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


# --- Discord ---------------------------------------------------------------------------------

TITLES = {
    "task.created": "Task created",
    "task.updated": "Task updated",
    "task.deleted": "Task deleted",
    "task.restored": "Task restored",
    "comment.created": "New comment",
    "member.added": "Member added",
    "member.removed": "Member removed",
    "member.role_changed": "Member's role changed",
    "invitation.accepted": "Invitation accepted",
    "import.finished": "Import finished",
    "report.export_ready": "Report export ready",
    "webhook.ping": "Webhook test",
}


def _link(path: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}/{path.lstrip('/')}"


def _person(ref: dict | None) -> str:
    if not ref:
        return ""
    return ref.get("full_name") or ref.get("username") or ""


def _discord_task(data: dict) -> dict:
    return {
        "subject": data["title"],
        "description": data.get("description") or "",
        "url": _link(f"/tasks/{data['id']}"),
        "fields": [
            ("Status", data.get("status") or ""),
            ("Priority", data.get("priority") or ""),
            ("Assignee", _person(data.get("assignee"))),
            ("Due", data.get("due_date") or ""),
        ],
    }


def _discord_comment(data: dict) -> dict:
    return {
        "subject": data["task"]["title"],
        "description": data.get("body") or "",
        "url": _link(f"/tasks/{data['task']['id']}"),
        "fields": [("By", _person(data.get("author")))],
    }


def _discord_member(data: dict) -> dict:
    user = data.get("user") or {}
    return {"subject": _person(user), "fields": [("Role", data.get("role") or "")]}


def _discord_other(data: dict) -> dict:
    fields = [(key.capitalize(), str(data.get(key) or "")) for key in ("state", "kind", "format", "role", "email")]
    return {"subject": "", "fields": [(name, value) for name, value in fields if value]}


def _discord_shape(event_type: str, data: dict | None) -> dict:
    if not data:
        return {"subject": ""}
    if event_type.startswith("task."):
        return _discord_task(data)
    if event_type == "comment.created":
        return _discord_comment(data)
    if event_type.startswith("member."):
        return _discord_member(data)
    return _discord_other(data)


def discord(*, payload: dict, actor_name: str = "", mention_user_ids=()) -> dict:
    """The envelope rendered as a Discord message (one embed); ``mention_user_ids`` are pinged."""
    event_type = payload["type"]
    shape = _discord_shape(event_type, payload.get("data"))
    title = TITLES.get(event_type, event_type)
    if shape.get("subject"):
        title = f"{title}: {shape['subject']}"
    return discord_message(
        title=title,
        description=shape.get("description", ""),
        url=shape.get("url", ""),
        timestamp=payload["timestamp"],
        footer=f"{payload['organization']['name']} · {event_type}",
        author=actor_name,
        fields=shape.get("fields", ()),
        mention_user_ids=list(mention_user_ids),
    )
