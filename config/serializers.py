"""Serializer fields that know no domain."""

from django.db import models
from rest_framework import serializers


class LabelChoiceField(serializers.ChoiceField):
    """A choice of ``choices_class`` (Django ``IntegerChoices``/``TextChoices``) spoken as its label.

    The API shows and accepts the label (``"in_progress"``, ``"admin"``); the database stores the
    value (an ordered number, so that ``role >= Role.ADMIN`` reads as meant). The schema shows the
    labels as the enum.
    """

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        self.members_by_label = {member.label: member for member in choices_class}
        super().__init__(choices=list(choices_class.labels), **kwargs)

    def to_internal_value(self, data):
        return self.members_by_label[super().to_internal_value(data)]

    def to_representation(self, value):
        return self.choices_class(value).label


# --- Strict input (issue 15) -------------------------------------------------------------------
#
# DRF's CharField turns a number into a string (``{"body": 0}`` is saved as "0"); a client that sends a
# number where the API documents a string has a bug that it should hear of. Every serializer of the
# project takes its string fields from here (explicit ones by name, a model's through
# ``StrictModelSerializer``), and ``tests/config/test_strict_input.py`` walks them all.

# The longest list of ids or values a request body may carry, unless a field documents a smaller one.
MAX_LIST_LENGTH = 100


class StrictStringMixin:
    """Refuses anything but a JSON string (a number, a boolean, a list, an object): 400 ``invalid``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class StrictURLField(StrictStringMixin, serializers.URLField):
    pass


class StrictRegexField(StrictStringMixin, serializers.RegexField):
    pass


class StrictIPAddressField(StrictStringMixin, serializers.IPAddressField):
    pass


class BoundedListField(serializers.ListField):
    """A list of at most ``max_length`` items (``MAX_LIST_LENGTH`` by default), refused by its length before
    any item is validated: DRF validates (and, for ids, looks up) every item first and only then counts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LIST_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list | tuple) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """The base of every model serializer: the string fields it builds from a model are strict."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.GenericIPAddressField: StrictIPAddressField,
    }
