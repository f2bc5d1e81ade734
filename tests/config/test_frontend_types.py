"""A TypeScript client generated from the schema (openapi-typescript) must type-check a sample frontend module
(devtools/frontend-check/src/sample.ts) with the real TypeScript compiler: a schema change that would break a
frontend fails here. Node.js tools, in the ``frontend`` tier."""

import copy
import json

import pytest
from django.core.management import call_command

from devtools.frontend_check import type_check, typescript_client

pytestmark = pytest.mark.frontend


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """The schema as ``manage.py spectacular`` writes it (what a frontend team downloads)."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(path))
    return json.loads(path.read_text())


def check(schema: dict, directory):
    path = directory / "schema.json"
    path.write_text(json.dumps(schema))
    return type_check(typescript_client(path, directory / "api.d.ts"))


def test_the_sample_frontend_type_checks_against_the_schema(schema, tmp_path):
    result = check(schema, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _without_task_status(schema):
    task = schema["components"]["schemas"]["Task"]
    del task["properties"]["status"]
    task["required"].remove("status")


def _with_another_status(schema):
    schema["components"]["schemas"]["TaskStatusEnum"]["enum"].append("blocked")


def _without_task_patch(schema):
    del schema["paths"]["/api/v1/tasks/{id}"]["patch"]


def _without_error_field(schema):
    error = schema["components"]["schemas"]["Error"]
    del error["properties"]["field"]
    error["required"].remove("field")


def _without_signed_download_url(schema):
    export = schema["components"]["schemas"]["ReportExport"]
    del export["properties"]["download_url"]
    export["required"].remove("download_url")


@pytest.mark.parametrize(
    ("breaking_change", "error"),
    [
        (_without_task_status, "Property 'status' does not exist"),
        (_with_another_status, "Property 'blocked' is missing"),
        (_without_task_patch, 'PathsWithMethod<paths, "patch">'),
        (_without_error_field, "Property 'field' does not exist"),
        (_without_signed_download_url, "Property 'download_url' does not exist"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] if callable(value) else "",
)
def test_a_schema_change_that_breaks_the_frontend_fails_the_check(schema, tmp_path, breaking_change, error):
    """The check can fail: each change a frontend would break on makes the compiler refuse the sample."""
    changed = copy.deepcopy(schema)
    breaking_change(changed)
    result = check(changed, tmp_path)
    assert result.returncode != 0, "the compiler accepted a schema the sample frontend cannot work with"
    assert "src/sample.ts" in result.stdout, result.stdout
    assert error in result.stdout, result.stdout
