from django.db import transaction

from accounts.models import User, normalize_email


@transaction.atomic
def user_create(
    *,
    email: str,
    username: str,
    password: str | None,
    full_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    is_active: bool = True,
) -> User:
    """Create a user; a ``None`` password leaves the account unable to sign in with one."""
    user = User(
        email=normalize_email(email),
        username=username,
        full_name=full_name,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
        is_active=is_active,
    )
    user.set_password(password) if password else user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_ensure(*, email: str, username: str, password: str, full_name: str = "", **flags) -> tuple[User, bool]:
    """Return the user with this email, creating it if needed. Existing users keep their password."""
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is not None:
        changed = [name for name, value in flags.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, flags[name])
        if changed:
            user.save(update_fields=changed)
        return user, False
    return user_create(email=email, username=username, password=password, full_name=full_name, **flags), True
