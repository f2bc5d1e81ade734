import os
import sys
import time

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User, normalize_email
from config.errors import command_errors
from imports import services
from imports.models import ImportJob, ImportKind, ImportMode, ImportState
from organizations.selectors import organization_get_by_slug

BAR_WIDTH = 30
WAIT_SECONDS = 2


class Command(BaseCommand):
    help = (
        "Import a CSV file of tasks or members into an organization, in the foreground, with a progress bar. "
        "Exits non-zero if the import fails or is cancelled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, metavar="SLUG", help="The organization's slug.")
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--file", required=True, metavar="PATH", help="The CSV file (UTF-8).")
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.SKIP_INVALID)
        parser.add_argument("--dry-run", action="store_true", help="Validate and report only.")
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="Record this user as the importer (creator of the tasks, notified at the end).",
        )

    def handle(self, *args, organization, kind, file, mode, dry_run, as_email, **options):
        org = organization_get_by_slug(slug=organization)
        if org is None:
            raise CommandError(f"No organization has the slug {organization!r}.")
        importer = None
        if as_email:
            importer = User.objects.filter(email=normalize_email(as_email)).first()
            if importer is None:
                raise CommandError(f"No user has the email {as_email!r}.")
        if not os.path.isfile(file):
            raise CommandError(f"No such file: {file}")
        with open(file, "rb") as handle, command_errors():
            job = services.import_job_create(
                organization=org,
                uploaded_file=File(handle, name=os.path.basename(file)),
                kind=kind,
                mode=mode,
                dry_run=dry_run,
                created_by=importer,
                by_operator=True,
                start=False,
            )
        self.stdout.write(f"Import {job.pk}: {job.total:,} rows of {kind} into {org.name!r} ({org.slug}).")
        job = self.run(job)
        self.summarize(job)
        if job.state != ImportState.SUCCEEDED:
            raise CommandError(f"The import {job.state}: {job.message}")

    def run(self, job: ImportJob) -> ImportJob:
        """Run it here; if a worker holds it or an earlier import of the organization runs, follow it."""
        last_shown = [-1]
        while True:
            services.import_job_run(job_id=job.pk, on_progress=lambda current: self.show(current, last_shown))
            job.refresh_from_db()
            if job.is_finished:
                self.show(job, last_shown)
                if sys.stderr.isatty():
                    self.stderr.write("")
                return job
            self.show(job, last_shown, waiting=job.state == ImportState.PENDING)
            time.sleep(WAIT_SECONDS)

    def show(self, job: ImportJob, last_shown: list, *, waiting: bool = False) -> None:
        progress = job.progress
        tty = sys.stderr.isatty()
        if not tty and progress < 100 and progress < last_shown[0] + 10:
            return  # a log, not a terminal: a line every 10 %
        last_shown[0] = progress
        filled = BAR_WIDTH * progress // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        line = (
            f"[{bar}] {progress:3d}% {job.phase} {job.processed:,}/{job.total:,} rows, "
            f"{job.created:,} created, {job.failed:,} rejected"
        )
        if waiting:
            line += " (waiting for an earlier import of this organization)"
        self.stderr.write(("\r" + line) if tty else line, ending="" if tty else "\n")
        self.stderr.flush()

    def summarize(self, job: ImportJob) -> None:
        style = self.style.SUCCESS if job.state == ImportState.SUCCEEDED else self.style.ERROR
        self.stdout.write(style(f"{job.state}: {job.message}".rstrip(": ")))
        self.stdout.write(
            f"rows {job.total:,}, created {job.created:,}, rejected {job.failed:,}, skipped {job.skipped:,}"
            + (" (dry run: nothing loaded)" if job.dry_run else "")
        )
        for warning in job.warnings[:20]:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        errors = list(job.row_errors.order_by("line", "id")[:20])
        for error in errors:
            where = f"line {error.line}" + (f", {error.column}" if error.column else "")
            self.stdout.write(f"  {where}: {error.message}" + (f" ({error.value!r})" if error.value else ""))
        if job.errors_recorded > len(errors):
            self.stdout.write(f"  ... {job.errors_recorded - len(errors):,} more at /api/v1/imports/{job.pk}/errors")
