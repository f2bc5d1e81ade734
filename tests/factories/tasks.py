import uuid

import factory

from tasks_app.models import Comment, Task, TaskActivity, TaskMention, TaskPageVersion
from tests.factories.accounts import UserFactory
from tests.factories.organizations import OrganizationFactory


class TaskFactory(factory.django.DjangoModelFactory):
    """A task row as it is stored; ``tasks_app.services.task_create`` when its activity and notifications matter."""

    class Meta:
        model = Task

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    created_by = factory.SubFactory(UserFactory)


class TaskMentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskMention

    task = factory.SubFactory(TaskFactory)
    user = factory.SubFactory(UserFactory)
    explicit = True


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Comment {n}")


class TaskActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskActivity

    task = factory.SubFactory(TaskFactory)
    actor = factory.SubFactory(UserFactory)
    verb = TaskActivity.Verb.UPDATED
    field = "title"
    old_value = "Before"
    new_value = "After"


class TaskPageVersionFactory(factory.django.DjangoModelFactory):
    """A version row as the triggers of migration 0008 write it (tasks_app/page_cache.py); they write it themselves
    whenever a task changes, so a test seldom needs one of its own."""

    class Meta:
        model = TaskPageVersion

    organization_id = factory.LazyFunction(uuid.uuid4)
    version = factory.LazyFunction(lambda: uuid.uuid4().hex)
