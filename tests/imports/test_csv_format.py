"""What files the import reads: delimiters, BOM, line endings, quoting, header names."""

import pytest

from imports.csv_source import detect_delimiter, match_header
from tasks_app.models import Priority, Status, Task
from tests.imports.conftest import TASK_HEADER, csv_bytes, task_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiters_bom_and_line_endings(imported, delimiter, bom, newline):
    job = imported(csv_bytes(TASK_HEADER, *task_rows(3), delimiter=delimiter, bom=bom, newline=newline))
    assert (job.state, job.created, job.failed, job.delimiter) == ("succeeded", 3, 0, delimiter), job.message
    assert sorted(Task.objects.values_list("title", flat=True)) == ["Task 0", "Task 1", "Task 2"]
    assert Task.objects.filter(description="Description 1").exists()


def test_semicolons_inside_text_do_not_fool_the_comma_detection(imported):
    content = csv_bytes(
        "title,description",
        '"Plan; then act","a; b; c; d"',
        '"Second","x; y; z"',
    )
    job = imported(content)
    assert (job.state, job.delimiter, job.created) == ("succeeded", ",", 2)
    assert Task.objects.filter(title="Plan; then act", description="a; b; c; d").exists()


def test_a_single_column_file_reads_as_comma_separated():
    assert detect_delimiter("title\nOne\nTwo") == ","
    assert detect_delimiter("title;status\na;todo") == ";"
    assert detect_delimiter("title\tstatus\na\ttodo") == "\t"


def test_header_names_match_ignoring_case_and_surrounding_spaces(imported):
    content = csv_bytes("  TITLE , Status,PRIORITY  , Due_Date ", "Ship it,Done,URGENT,2030-02-03")
    job = imported(content)
    assert job.state == "succeeded"
    assert job.warnings == []
    task = Task.objects.get()
    assert (task.title, task.status, task.priority, str(task.due_date)) == (
        "Ship it",
        Status.DONE,
        Priority.URGENT,
        "2030-02-03",
    )


def test_unknown_columns_are_listed_in_the_warnings_and_ignored(imported, client_as):
    job = imported(csv_bytes("title,colour,Estimate", "A,red,3"))
    assert job.state == "succeeded"
    assert job.warnings == ["Unknown columns ignored: colour, Estimate."]
    status = client_as("admin").get(f"/api/v1/imports/{job.pk}/status").json()
    assert status["warnings"] == job.warnings


def test_a_repeated_column_is_a_warning_and_the_first_one_counts(imported):
    job = imported(csv_bytes("title,Title", "first,second"))
    assert job.state == "succeeded"
    assert any("appears more than once" in warning for warning in job.warnings)
    assert Task.objects.get().title == "first"


def test_a_missing_required_column_fails_the_job_before_any_row_naming_it(imported, client_as):
    job = imported(csv_bytes("name,description,status", "A,b,todo", "C,d,done"))
    assert job.state == "failed"
    assert "'title'" in job.message
    assert job.processed == 0
    assert not Task.objects.exists()
    errors = client_as("admin").get(f"/api/v1/imports/{job.pk}/errors").json()["data"]
    assert errors == [
        {
            "line": 1,
            "column": "title",
            "code": "missing_column",
            "message": "The header has no 'title' column, which is required.",
            "value": "",
        }
    ]


def test_quoted_cells_with_newlines_and_blank_lines_keep_the_line_numbers(imported):
    content = csv_bytes(
        "title,status",
        '"A title",todo',
        "",
        '"Multi',
        'line title",todo',
        '"",todo',
        "Last,nope",
    )
    job = imported(content)
    assert (job.total, job.created, job.failed) == (4, 2, 2)
    assert Task.objects.filter(title="Multi\nline title").exists()
    assert list(job.row_errors.values_list("line", "column", "code")) == [
        (6, "title", "required"),
        (7, "status", "invalid_choice"),
    ]


def test_match_header_reports_missing_unknown_and_repeated():
    match = match_header(
        [" Title", "EMAIL", "", "title", "x"], columns=("title", "description"), required=("title", "description")
    )
    assert match.positions == {"title": 0}
    assert match.missing == ["description"]
    assert match.unknown == ["EMAIL", "(column 3 has no name)", "x"]
    assert match.repeated == ["title"]
