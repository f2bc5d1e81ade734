from django.db.models import QuerySet

from sso.models import SocialIdentity


def identity_list(*, user) -> QuerySet[SocialIdentity]:
    return SocialIdentity.objects.filter(user=user).order_by("created_at")
