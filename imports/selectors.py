"""Reads of import jobs and their rejected rows, shaped for the serializers that render them."""

from django.db.models import QuerySet

from imports.models import ImportJob, ImportRowError


def import_job_list() -> QuerySet[ImportJob]:
    """Jobs with what ``ImportJobSerializer`` renders (their uploader). Views scope it to an organization."""
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_get(*, job_id) -> ImportJob:
    """One job as ``ImportJobSerializer`` renders it (callers have already checked who may see it)."""
    return import_job_list().get(pk=job_id)


def import_row_error_list(*, job: ImportJob) -> QuerySet[ImportRowError]:
    """The job's rejected-row problems in file order."""
    return ImportRowError.objects.filter(job=job).order_by("line", "id")
