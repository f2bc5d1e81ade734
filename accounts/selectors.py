from accounts.models import User


def user_visible_to(*, viewer: User, user_id) -> User | None:
    """The user ``viewer`` may see: themself, or someone sharing an organization (superusers: anyone)."""
    from organizations.selectors import users_share_organization

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    if user.pk == viewer.pk or viewer.is_superuser or users_share_organization(viewer, user):
        return user
    return None
