from celery import shared_task
from django.conf import settings

from accounts.models import User
from notifications import emails


@shared_task
def send_password_reset_email(user_id: str) -> bool:
    """Make the one-time token here, in the worker, so it never travels through the broker."""
    from accounts.services import password_reset_token_make

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    token = password_reset_token_make(user)
    emails.send(
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "reset_url": f"{settings.FRONTEND_URL}/reset-password?token={token}",
            "token": token,
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )
    return True
