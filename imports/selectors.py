"""Reads of import jobs and their rejected rows, shaped for the serializers that render them."""

from django.db.models import QuerySet

from imports.models import ImportJob, ImportRowError


def import_job_queryset() -> QuerySet[ImportJob]:
    """Jobs with what ``ImportJobSerializer`` renders (their uploader). Views scope it to an organization."""
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_list(*, organization) -> QuerySet[ImportJob]:
    return import_job_queryset().filter(organization=organization)


def import_error_list(*, job: ImportJob) -> QuerySet[ImportRowError]:
    """The job's rejected-row problems in file order."""
    return ImportRowError.objects.filter(job=job).order_by("line", "id")
