"""The date range of a report, its ISO weeks, and "today".

Days are calendar days in ``TIME_ZONE`` (UTC); a range covers ``date_from`` to ``date_to``, both
included. Weeks are ISO weeks (Monday to Sunday), labelled ``YYYY-Www`` with the ISO year, which
near the new year can differ from the calendar year (Monday 2029-12-31 starts 2030-W01).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

# Outside these, date arithmetic and the databases' date functions stop being meaningful.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(9998, 12, 31)


def today() -> datetime.date:
    """The current date in TIME_ZONE. Tests replace this function to freeze "today"."""
    return timezone.localdate()


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def iso_week_label(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in TIME_ZONE, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class ReportRange:
    date_from: datetime.date
    date_to: datetime.date
    # The day the overdue rule is judged on: ``min(date_to, today)``.
    as_of: datetime.date

    @property
    def start(self) -> datetime.datetime:
        """First instant in the range."""
        return start_of(self.date_from)

    @property
    def end(self) -> datetime.datetime:
        """First instant after the range (exclusive bound)."""
        return start_of(self.date_to + datetime.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def week_starts(self) -> list[datetime.date]:
        """The Monday of every ISO week the range touches, in order (first and last may be partial)."""
        monday = monday_of(self.date_from)
        weeks = []
        while monday <= self.date_to:
            weeks.append(monday)
            monday += datetime.timedelta(days=7)
        return weeks


def report_range(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None, on: datetime.date | None = None
) -> ReportRange:
    """Resolve and check a requested range; ``on`` is "today" (default ``today()``).

    Defaults: ``date_to`` is today; ``date_from`` the Monday ``REPORT_DEFAULT_WEEKS - 1`` weeks
    before ``date_to``'s week, so that the default range is exactly that many ISO weeks, the
    last one in progress. Raises ``ValidationError`` naming the field at fault (the API answers 400).
    """
    on = on or today()
    errors = {}
    for field, value in (("from", date_from), ("to", date_to)):
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            errors[field] = ValidationError(
                "Dates must be between %(earliest)s and %(latest)s.",
                code="invalid",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )
    if errors:
        raise ValidationError(errors)
    if date_to is None:
        date_to = on
    if date_from is None:
        date_from = monday_of(date_to) - datetime.timedelta(weeks=settings.REPORT_DEFAULT_WEEKS - 1)
    if date_from > date_to:
        raise ValidationError(
            {"from": ValidationError("`from` must be on or before `to`.", code="invalid_range")},
        )
    days = (date_to - date_from).days + 1
    if days > settings.REPORT_MAX_DAYS:
        raise ValidationError(
            {
                "to": ValidationError(
                    "A report covers at most %(max)s days; this range has %(days)s.",
                    code="range_too_long",
                    params={"max": settings.REPORT_MAX_DAYS, "days": days},
                )
            }
        )
    return ReportRange(date_from=date_from, date_to=date_to, as_of=min(date_to, on))
