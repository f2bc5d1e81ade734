import datetime

import factory

from reports.models import ExportFormat, ReportExport, ReportSettings
from tests.factories.accounts import UserFactory
from tests.factories.organizations import OrganizationFactory


class ReportExportFactory(factory.django.DjangoModelFactory):
    """A pending export request (no file yet): ``reports.services.report_export_build`` makes one."""

    class Meta:
        model = ReportExport

    organization = factory.SubFactory(OrganizationFactory)
    requested_by = factory.SubFactory(UserFactory)
    format = ExportFormat.CSV
    date_from = datetime.date(2030, 1, 1)
    date_to = datetime.date(2030, 1, 31)


class ReportSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportSettings
        django_get_or_create = ("organization",)

    organization = factory.SubFactory(OrganizationFactory)
    weekly_email = True
