"""manage.py import_csv: an operator's import in the foreground."""

import pytest
from django.core.management import CommandError, call_command

from imports.models import ImportJob
from organizations.models import Invitation
from tasks_app.models import Task
from tests.imports.conftest import TASK_HEADER, csv_bytes, task_rows, tasks_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def csv_file(tmp_path):
    def write(content: bytes, name: str = "data.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write


def run(*args) -> tuple[str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_tasks_in_the_foreground_with_progress_and_a_summary(org, csv_file, settings):
    settings.IMPORT_BATCH_SIZE = 2
    out, err = run("--organization", org.organization.slug, "--kind", "tasks", "--file", csv_file(tasks_csv(5)))
    assert Task.objects.count() == 5
    job = ImportJob.objects.get()
    assert (job.state, job.by_operator, job.created_by_id) == ("succeeded", True, None)
    assert "succeeded" in out
    assert "created 5" in out
    assert "100%" in err


def test_as_records_the_importer(org, csv_file):
    run(
        "--organization",
        org.organization.slug,
        "--kind",
        "tasks",
        "--file",
        csv_file(tasks_csv(1)),
        "--as",
        org.member.email,
    )
    assert Task.objects.get().created_by_id == org.member.pk


def test_a_failed_import_exits_non_zero_and_lists_the_errors(org, csv_file):
    path = csv_file(csv_bytes(TASK_HEADER, *task_rows(2), "Bad,,never,,,"))
    with pytest.raises(CommandError, match="failed"):
        run("--organization", org.organization.slug, "--kind", "tasks", "--file", path, "--mode", "all_or_nothing")
    assert not Task.objects.exists()


def test_a_dry_run_loads_nothing(org, csv_file):
    out, _ = run(
        "--organization", org.organization.slug, "--kind", "tasks", "--file", csv_file(tasks_csv(3)), "--dry-run"
    )
    assert "dry run" in out
    assert not Task.objects.exists()


def test_members_as_an_operator(org, csv_file):
    run("--organization", org.organization.slug, "--kind", "members", "--file", csv_file(b"email\nkim@example.com\n"))
    assert Invitation.objects.get().email == "kim@example.com"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "nowhere"], "No organization"),
        (["--file", "/nonexistent.csv"], "No such file"),
        (["--as", "ghost@example.com"], "No user"),
    ],
)
def test_bad_arguments_are_command_errors(org, csv_file, args, message):
    base = {"--organization": org.organization.slug, "--kind": "tasks", "--file": csv_file(tasks_csv(1))}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError, match=message):
        run(*[part for pair in base.items() for part in pair])


def test_a_refused_file_is_a_command_error(org, csv_file):
    with pytest.raises(CommandError, match="NUL"):
        run("--organization", org.organization.slug, "--kind", "tasks", "--file", csv_file(b"title\n\x00\n"))
    assert not ImportJob.objects.exists()
