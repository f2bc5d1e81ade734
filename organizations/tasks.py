from celery import shared_task

# A module import, not a name: services enqueue these tasks, so the two modules import each other.
from organizations import services
from organizations.models import Invitation


@shared_task
def invitation_send(invitation_id: str, token: str) -> bool:
    """Email an invitation's link. Safe to run twice: the service sends once per token."""
    invitation = Invitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    if invitation is None:  # revoked with its organization in the meantime
        return False
    return services.invitation_email_send(invitation=invitation, token=token)
