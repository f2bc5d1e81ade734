"""manage.py generate_report --organization SLUG --format html|csv|json --from --to --out PATH"""

import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def generate(*args):
    return call_command("generate_report", *args)


@pytest.mark.parametrize("fmt", ["html", "csv", "json"])
def test_writes_the_report_to_a_file(dataset, org, tmp_path, freeze_today, fmt):
    freeze_today("2030-01-20")
    out = tmp_path / f"report.{fmt}"
    generate(
        "--organization",
        org.organization.slug,
        "--format",
        fmt,
        "--from",
        "2029-12-24",
        "--to",
        "2030-01-13",
        "--out",
        str(out),
    )
    content = out.read_bytes().decode()
    if fmt == "json":
        report = json.loads(content)
        assert report["totals"] == {"all": 9, "open": 4, "done": 5, "overdue": 2}
        assert report["weeks"][1] == {"week": "2030-W01", "start": "2029-12-31", "created": 2, "completed": 1}
    elif fmt == "csv":
        assert "Totals\r\nall,open,done,overdue\r\n9,4,5,2\r\n" in content
    else:
        assert content.startswith("<!DOCTYPE html>")
        assert content.count("<svg") == 4


def test_writes_to_standard_output_without_out(org, capsys, freeze_today):
    freeze_today("2030-01-20")
    generate("--organization", org.organization.slug, "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["range"]["to"] == "2030-01-20"
    assert len(report["weeks"]) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "nope"], "No organization has the slug 'nope'"),
        (["--from", "2030-13-01"], "Not a date"),
        (["--from", "2030-02-01", "--to", "2030-01-01"], "from: `from` must be on or before `to`."),
        (["--from", "2020-01-01", "--to", "2030-01-01"], "to: A report covers at most 731 days"),
    ],
)
def test_bad_input_is_a_command_error(org, args, message):
    if "--organization" not in args:
        args = ["--organization", org.organization.slug, *args]
    with pytest.raises(CommandError, match=message):
        generate(*args)
