import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizations.selectors import organization_get_by_slug
from reports import rendering, selectors
from reports.ranges import report_range


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Write an organization's report as HTML (with charts), CSV or JSON, to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, metavar="SLUG", help="The organization's slug.")
        parser.add_argument("--format", choices=["html", "csv", "json"], default="html")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="First day (default: 12 weeks).")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="Last day, included (default: today).")
        parser.add_argument("--out", metavar="PATH", help="File to write (default: standard output).")

    def handle(self, *args, organization, format, date_from, date_to, out, **options):
        org = organization_get_by_slug(slug=organization)
        if org is None:
            raise CommandError(f"No organization has the slug {organization!r}.")
        try:
            period = report_range(
                date_from=_date(date_from) if date_from else None, date_to=_date(date_to) if date_to else None
            )
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(problems) from None
        content = rendering.render_report(selectors.report_summary(organization=org, report_range=period), format)
        if not out:
            self.stdout.write(content, ending="")
            return
        Path(out).write_text(content, encoding="utf-8", newline="")
        self.stderr.write(
            self.style.SUCCESS(
                f"Wrote the {format} report of {org.slug} ({period.date_from} to {period.date_to}) to {out}."
            )
        )
