import datetime

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from privacy.models import AccountDeletion, DataExport, DataExportState
from tests.factories.accounts import UserFactory


class DataExportFactory(factory.django.DjangoModelFactory):
    """A pending export (no file yet): ``privacy.services.data_export_build`` makes one. ``built=True``
    gives a succeeded export with a small file, downloadable until ``expires_at``."""

    class Meta:
        model = DataExport

    class Params:
        built = factory.Trait(
            state=DataExportState.SUCCEEDED,
            file=factory.LazyFunction(lambda: ContentFile(b'{"format": "workspace-personal-data"}', name="x.json")),
            finished_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=48)),
        )

    user = factory.SubFactory(UserFactory)


class AccountDeletionFactory(UserFactory):
    """A deactivated account whose deletion is pending (seen through the ``AccountDeletion`` proxy)."""

    class Meta:
        model = AccountDeletion
        skip_postgeneration_save = True

    is_active = False
    deletion_scheduled_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
