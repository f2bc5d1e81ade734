"""config.csv_safety: every CSV the project writes is safe to open in a spreadsheet."""

import csv
import datetime
import io

import pytest

from config.csv_safety import csv_writer, neutralize


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (1.5, 1.5),
        (None, None),
        (datetime.date(2030, 1, 2), datetime.date(2030, 1, 2)),
    ],
)
def test_neutralize_prefixes_only_strings_a_spreadsheet_would_run(value, expected):
    assert neutralize(value) == expected


def test_csv_writer_is_a_drop_in_csv_writer():
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";")
    writer.writerow(["=evil()", "fine", 7, None])
    writer.writerows([["@x", "-y"]])
    assert writer.dialect.delimiter == ";"
    assert list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";")) == [
        ["'=evil()", "fine", "7", ""],
        ["'@x", "'-y"],
    ]
