from config.filters import FilterSet, labelled_choices_filter
from organizations.models import Membership, Role


class MembershipFilter(FilterSet):
    """An organization's members by role, several at once (``?role=admin,owner``)."""

    role = labelled_choices_filter(Role, field_name="role")

    class Meta:
        model = Membership
        fields = ["role"]
