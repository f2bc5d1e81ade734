"""The report's totals, declared once: the API schema, the CSV, the HTML report and the weekly email
all read them from here, so a new total is a line here and its computation in ``selectors._breakdown``.
"""

from dataclasses import dataclass

from django.utils import dateformat


@dataclass(frozen=True)
class Total:
    key: str  # the key in the report's ``totals`` (and the CSV column, and the API field)
    label: str  # for people: the HTML report and the weekly email
    help_text: str = ""  # the API schema's description
    alert: bool = False  # shown as a warning when not zero
    note: str = ""  # said after the figure in the text email; ``{as_of}`` is the report's as-of date


TOTALS = (
    Total("all", "Tasks", "Tasks created up to `to`."),
    Total("open", "Open", "Of those, not done."),
    Total("done", "Done"),
    Total("overdue", "Overdue", "Not done, due before `as_of`.", alert=True, note="not done, due before {as_of}"),
)


def total_rows(report: dict) -> list[dict]:
    """The totals of a report in order, with their labels, as the templates show them."""
    as_of = dateformat.format(report["range"]["as_of"], "j M Y")
    return [
        {
            "key": total.key,
            "label": total.label,
            "value": report["totals"][total.key],
            "alert": total.alert and bool(report["totals"][total.key]),
            "note": total.note.format(as_of=as_of),
        }
        for total in TOTALS
    ]
