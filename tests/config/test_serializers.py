import pytest
from django.db import models
from rest_framework import serializers

from config.serializers import LabelChoiceField


class Level(models.IntegerChoices):
    LOW = 1, "low"
    HIGH = 2, "high"


class Shade(models.TextChoices):
    DARK = "d", "dark"


class ThingSerializer(serializers.Serializer):
    level = LabelChoiceField(Level)
    shade = LabelChoiceField(Shade, required=False)


def test_accepts_the_label_and_gives_the_member():
    data = ThingSerializer(data={"level": "high", "shade": "dark"})
    assert data.is_valid(), data.errors
    assert data.validated_data == {"level": Level.HIGH, "shade": Shade.DARK}
    assert type(data.validated_data["level"]) is Level


@pytest.mark.parametrize("value", ["2", 2, "HIGH", "d"])
def test_refuses_what_is_not_a_label(value):
    data = ThingSerializer(data={"level": value, "shade": value})
    assert not data.is_valid()
    assert data.errors["level"][0].code == "invalid_choice"


def test_shows_the_label_of_a_stored_value():
    assert ThingSerializer({"level": 1, "shade": "d"}).data == {"level": "low", "shade": "dark"}


# --- model serializers build their fields once per class -------------------------------------------------


def test_a_model_serializer_builds_its_fields_from_the_model_once(monkeypatch, db):
    from accounts.serializers import UserReferenceSerializer
    from tests.factories import UserFactory

    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(
        serializers.ModelSerializer,
        "build_field",
        lambda self, *args: built.append(args[0]) or original(self, *args),
    )
    monkeypatch.delattr(UserReferenceSerializer, "_fields_built", raising=False)
    user = UserFactory(username="ada", full_name="Ada L")

    first = UserReferenceSerializer(user, with_email=True).data
    once = len(built)
    again = [UserReferenceSerializer(user, with_email=True).data for _ in range(3)]

    assert once > 0
    assert len(built) == once  # the later instances copied what the first built
    assert again == [first] * 3
    assert first["username"] == "ada"


def test_what_a_subclass_drops_for_one_instance_stays_dropped_for_that_instance_only(db):
    from accounts.serializers import UserReferenceSerializer
    from tests.factories import UserFactory

    user = UserFactory()
    with_email = UserReferenceSerializer(user, with_email=True).data
    public = UserReferenceSerializer(user, public=True).data
    plain = UserReferenceSerializer(user).data

    assert set(with_email) == {"id", "username", "full_name", "email"}
    assert set(public) == {"username", "full_name"}
    assert set(plain) == {"id", "username", "full_name"}
    # Each field is the instance's own, bound to it: nothing one changes reaches the next.
    one, other = UserReferenceSerializer(user), UserReferenceSerializer(user)
    assert one.fields["username"] is not other.fields["username"]
    assert one.fields["username"].parent is one


def test_copied_fields_validate_each_instance_on_its_own(db):
    """A leaf field is copied by its attributes, a field holding another (a list of values) deep-copied: each
    instance validates with its own bound fields, and what it binds never reaches the class's copy or another's."""
    from config.serializers import StrictModelSerializer
    from tasks_app.models import TITLE_MAX_LENGTH, Task

    class Probe(StrictModelSerializer):
        tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)

        class Meta:
            model = Task
            fields = ["title", "tags"]

    long_title = "x" * (TITLE_MAX_LENGTH + 1)
    refused = Probe(data={"title": long_title, "tags": ["abcd"]})
    accepted = Probe(data={"title": "Fine", "tags": ["abc"]})
    assert not refused.is_valid()
    assert set(refused.errors) == {"title", "tags"}
    assert accepted.is_valid(), accepted.errors
    assert accepted.validated_data == {"title": "Fine", "tags": ["abc"]}
    for probe in (refused, accepted):
        assert probe.fields["title"].parent is probe
        assert probe.fields["tags"].child.parent is probe.fields["tags"]
    assert refused.fields["tags"].child is not accepted.fields["tags"].child
    assert Probe._fields_built["title"].parent is None  # the class's fields are bound to no instance
