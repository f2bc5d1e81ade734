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


@shared_task
def send_email_verification(verification_id: str) -> bool:
    """Email a verification's link and code; both are made here, in the worker (see the service)."""
    from accounts.services import email_verification_send

    return email_verification_send(verification_id=verification_id)


@shared_task
def send_email_change_notice(user_id: str, new_email: str) -> bool:
    """Tell the current address that a change to ``new_email`` was asked for, so its owner can react."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    emails.send(
        to=user.email,
        template="email_change_notice",
        context={"user": user, "new_email": new_email, "reset_url": f"{settings.FRONTEND_URL}/reset-password"},
    )
    return True
