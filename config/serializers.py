"""Serializer fields that know no domain."""

from rest_framework import serializers


class LabelChoiceField(serializers.ChoiceField):
    """A choice of ``choices_class`` (Django ``IntegerChoices``/``TextChoices``) spoken as its label.

    The API shows and accepts the label (``"in_progress"``, ``"admin"``); the database stores the
    value (an ordered number, so that ``role >= Role.ADMIN`` reads as meant). The schema shows the
    labels as the enum, in the order ``choices_class.display_order()`` gives when it has one (roles: owner
    first, as a frontend's select lists them), else in their declared order.
    """

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        self.members_by_label = {member.label: member for member in choices_class}
        members = choices_class.display_order() if hasattr(choices_class, "display_order") else list(choices_class)
        super().__init__(choices=[member.label for member in members], **kwargs)

    def to_internal_value(self, data):
        return self.members_by_label[super().to_internal_value(data)]

    def to_representation(self, value):
        return self.choices_class(value).label
