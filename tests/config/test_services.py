import pytest
from django.core.exceptions import ValidationError

from config.services import model_update
from organizations.models import Organization
from tasks_app.models import Comment, Task
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_saves_only_the_fields_that_differ(django_assert_num_queries):
    organization = OrganizationFactory(name="Acme", slug="acme")
    before = organization.updated_at
    with django_assert_num_queries(1):
        organization, changed = model_update(
            instance=organization, fields=["name", "slug"], data={"name": "Acme Ltd", "slug": "acme"}
        )
    assert changed == ["name"]
    stored = Organization.objects.get(pk=organization.pk)
    assert (stored.name, stored.slug) == ("Acme Ltd", "acme")
    assert stored.updated_at > before  # auto_now fields go along with a change


def test_nothing_changed_saves_nothing(django_assert_num_queries):
    organization = OrganizationFactory(name="Acme")
    with django_assert_num_queries(0):
        _, changed = model_update(instance=organization, fields=["name"], data={"name": "Acme", "other": 1})
    assert changed == []


def test_fields_not_listed_are_ignored():
    organization = OrganizationFactory(name="Acme", slug="acme")
    _, changed = model_update(instance=organization, fields=["name"], data={"slug": "elsewhere"})
    assert changed == []
    assert Organization.objects.get(pk=organization.pk).slug == "acme"


def test_changed_fields_are_validated():
    organization = OrganizationFactory()
    with pytest.raises(ValidationError) as caught:
        model_update(instance=organization, fields=["name"], data={"name": "x" * 1000})
    assert set(caught.value.message_dict) == {"name"}


def test_many_to_many_fields_are_set():
    organization = OrganizationFactory()
    author, mentioned = UserFactory(), UserFactory()
    task = Task.objects.create(organization=organization, created_by=author, title="T")
    comment = Comment.objects.create(task=task, author=author, body="hi")
    _, changed = model_update(instance=comment, fields=["mentions"], data={"mentions": [mentioned]})
    assert changed == ["mentions"]
    assert list(comment.mentions.all()) == [mentioned]
    _, changed = model_update(instance=comment, fields=["mentions"], data={"mentions": [mentioned]})
    assert changed == []
