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
