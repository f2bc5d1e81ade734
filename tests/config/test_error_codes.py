"""Every error code the apps raise has its meaning in the catalogue (config/error_codes.py), which the schema
and docs/api/errors.md both show."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from config.error_codes import ERROR_CODES, FRAMEWORK_CODES, PROJECT_CODES, catalogue_markdown
from config.exceptions import CODE_OVERRIDES
from sessions_app.authentication import SessionJWTAuthentication

ROOT = Path(settings.BASE_DIR)
APPS = sorted(
    {name.split(".")[0] for name in settings.INSTALLED_APPS if (ROOT / name.split(".")[0] / "apps.py").exists()}
    | {"config"}
)
# Codes chosen at run time (a variable, a dictionary), which no literal in a call shows.
DYNAMIC = {
    *SessionJWTAuthentication.messages,  # session_state.check() answers one of these keys
    *CODE_OVERRIDES.values(),
    "invalid_client_metadata",  # oauth_server.views: the RFC 7591 code of a registration field
}


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text())


def _positional_code_parameters(trees) -> dict[str, int]:
    """Callables of the project that take ``code`` (``AuthError(code, message)``, ``SSOError``...): name -> index
    of ``code`` among the positional arguments; and Django's ``ValidationError(message, code)``."""
    found = {"ValidationError": 1}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        names = [a.arg for a in item.args.args][1:]
                        if "code" in names:
                            found[node.name] = names.index("code")
            elif isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if "code" in names and names[0] not in ("self", "cls"):
                    found[node.name] = names.index("code")
    return found


def raised_codes() -> dict[str, set[str]]:
    """Every literal code in the apps' source: ``code="..."`` arguments, ``default_code = "..."`` (any
    ``*_code = "..."``), and the ``code`` argument given by position to a callable that takes one.
    -> code: files."""
    sources = list(_sources())
    positional = _positional_code_parameters(tree for _path, tree in sources)
    found: dict[str, set[str]] = {}

    def add(value, path):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.setdefault(value.value, set()).add(str(path.relative_to(ROOT)))

    for path, tree in sources:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        add(keyword.value, path)
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                index = positional.get(name)
                if index is not None and len(node.args) > index:
                    add(node.args[index], path)
            elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", "").endswith("_code") for t in node.targets
            ):  # default_code = "..." of an exception class, invalid_code = "..." of a paginator
                add(node.value, path)
    # Import row problems (imports.kinds.base.Problem) are row errors of /imports/{id}/errors, not envelope codes.
    return found


def test_the_scanner_finds_codes_raised_in_every_way():
    codes = raised_codes()
    assert "imports/csv_source.py" in codes["too_many_rows"]  # CsvRefused(code, message)
    assert "sessions_app/services.py" in codes["refresh_token_reused"]  # AuthError(code, message)
    assert "sso/errors.py" in codes["invalid_state"]  # SSOError(code, message)
    assert "reports/views.py" in codes["export_expired"]  # Gone(..., code=...)
    assert "tasks_app/services.py" in codes["not_a_member"]  # ValidationError(message, code)
    assert "mcp_server/views.py" in codes["origin_not_allowed"]  # default_code = ...
    assert "config/pagination.py" in codes["invalid_cursor"]  # invalid_code = ...


def test_every_code_raised_in_the_apps_is_in_the_catalogue():
    missing = {code: sorted(files) for code, files in raised_codes().items() if code not in ERROR_CODES}
    missing |= {code: ["(dynamic)"] for code in DYNAMIC if code not in ERROR_CODES}
    assert missing == {}, "add these codes and their meaning to config/error_codes.py (then docs/api/errors.md)"


def test_every_project_code_of_the_catalogue_is_still_raised():
    stale = set(PROJECT_CODES) - set(raised_codes()) - DYNAMIC - set(FRAMEWORK_CODES)
    assert stale == set(), "codes nothing raises any more: remove them from config/error_codes.py"


def test_the_docs_hold_the_catalogue():
    text = (ROOT / "docs" / "api" / "errors.md").read_text()
    assert catalogue_markdown() in text, "docs/api/errors.md's table differs; paste:\n" + catalogue_markdown()


@pytest.mark.django_db
def test_the_schema_gives_every_codes_meaning(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    description = schema["components"]["schemas"]["Error"]["properties"]["code"]["description"]
    for code, entry in ERROR_CODES.items():
        assert f"| `{code}` | {entry.statuses} | {entry.meaning} |" in description
