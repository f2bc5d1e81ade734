"""CSV the project writes, safe to open in a spreadsheet (CSV/formula injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets, so a task titled ``=HYPERLINK(...)`` could act
on whoever opens an export. Every CSV the project writes (import errors, reports) goes through
``csv_writer``, which prefixes such cells with ``'``: spreadsheets show the text as typed.

Only strings are touched: numbers, dates and None written by our own code are not user input,
and ``-3`` written as an int stays a number.
"""

import csv
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """The value, with a ``'`` in front if it is a string a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``neutralize``; same ``writerow``/``writerows``."""

    def __init__(self, file, **fmtparams):
        self._writer = csv.writer(file, **fmtparams)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row):
        return self._writer.writerow([neutralize(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(file, **fmtparams) -> SafeCsvWriter:
    """A drop-in for ``csv.writer(file, ...)`` that neutralises formula cells. Use it for every CSV we write."""
    return SafeCsvWriter(file, **fmtparams)
