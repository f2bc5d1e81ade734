import factory

from imports.models import ImportJob, ImportKind, ImportRowError
from tests.factories.accounts import UserFactory
from tests.factories.organizations import OrganizationFactory


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A pending task import of a one-row CSV file, as an upload leaves it."""

    class Meta:
        model = ImportJob

    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    kind = ImportKind.TASKS
    original_name = "tasks.csv"
    file = factory.django.FileField(filename="tasks.csv", data=b"title\nOne\n")
    size_bytes = factory.LazyAttribute(lambda job: job.file.size)


class ImportRowErrorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRowError

    job = factory.SubFactory(ImportJobFactory)
    line = factory.Sequence(lambda n: n + 2)  # line 1 is the header
    column = "title"
    code = "required"
    message = "This field is required."
