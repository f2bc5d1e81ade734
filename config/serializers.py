"""Serializer fields that know no domain."""

import copy
import datetime
from urllib.parse import urlencode

from django.db import models
from django.urls import reverse
from rest_framework import serializers

from config.signed_links import QUERY_PARAMETER, signed_link_expires_at, signed_link_token


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
    """The base of every model serializer: the string fields it builds from a model are strict, and they are
    built from the model once per class.

    DRF's ``ModelSerializer`` builds its fields from the model's (``build_field``: the field's kind, its
    validators, choices, lengths) on every instance, that is once per request and per nested list: a third of
    the CPU of a request that renders one small row. What it builds depends only on the class (``Meta``, the
    declared fields, the model), so the first instance keeps what it built and each later one takes a copy
    (``_instance_copy``). A subclass's ``get_fields`` (dropping a field for some readers) still runs on every
    instance, on its own copy.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.GenericIPAddressField: StrictIPAddressField,
    }

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return {name: _instance_copy(field) for name, field in built.items()}


def _instance_copy(field):
    """A serializer instance's own copy of a field the class built. DRF deep-copies each (``Field.__deepcopy__``
    builds the field anew from its arguments: its validators, choices and messages again), which was most of the
    CPU of building a serializer. A field that holds no other field is only bound (``bind``: its name, parent and
    source, set on the copy) and read: a copy of its attributes serves, sharing its validators and choices, which
    nothing changes after ``__init__``. A nested serializer, a list of fields or a many-relation binds a child of
    its own, and is deep-copied."""
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    own = object.__new__(type(field))
    own.__dict__.update(field.__dict__)
    return own


class DownloadLinksSerializer(serializers.Serializer):
    """The links to a built file: ``download_url``, a signed link that needs no sign-in (``config.signed_links``)
    until ``download_url_expires_at``, and ``api_download_url``, which needs the reader's sign-in.

    A subclass names its purpose and URL names, and says when the file is ready; links are made for the
    request's signed-in person, so the serializer needs the request in its context.
    """

    signed_link_purpose: str
    signed_download_url_name: str
    api_download_url_name: str

    download_url = serializers.SerializerMethodField(
        help_text="Set once the file is built: a signed link to it that needs no sign-in (a plain `<a href>`), "
        "for this file only, until `download_url_expires_at`; read this again for a new one."
    )
    download_url_expires_at = serializers.SerializerMethodField(
        help_text="When `download_url` stops working (`SIGNED_LINK_MAX_AGE_SECONDS` after this answer); null when "
        "there is none."
    )
    api_download_url = serializers.SerializerMethodField(
        help_text="Set once the file is built: the same file for a request with the reader's bearer token."
    )

    def file_is_ready(self, obj) -> bool:
        raise NotImplementedError

    def url_kwargs(self, obj) -> dict:
        return {}

    def _url(self, name: str, obj, query: str = "") -> str:
        path = reverse(name, kwargs=self.url_kwargs(obj)) + query
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def _link_holder(self, obj):
        user = getattr(self.context.get("request"), "user", None)
        return user if self.file_is_ready(obj) and user is not None and user.is_authenticated else None

    def get_download_url(self, obj) -> str | None:
        user = self._link_holder(obj)
        if user is None:
            return None
        token = signed_link_token(purpose=self.signed_link_purpose, subject=obj.pk, user_id=user.pk)
        return self._url(self.signed_download_url_name, obj, f"?{urlencode({QUERY_PARAMETER: token})}")

    def get_download_url_expires_at(self, obj) -> datetime.datetime | None:
        return signed_link_expires_at() if self._link_holder(obj) else None

    def get_api_download_url(self, obj) -> str | None:
        return self._url(self.api_download_url_name, obj) if self.file_is_ready(obj) else None
