"""`.env.example` documents exactly the variables the settings read, and the settings stay split by concern.

The variables are found in the source with ``ast``: in ``config/settings/``, calls on the ``env``
object (``env("X")``, ``env.int("X", ...)``, ...) and ``os.environ`` / ``os.getenv`` reads; elsewhere
(tests aside), calls on that same object where a module imports it (``manage.py ensure_superuser``).
"""

import ast
import os
import re
from pathlib import Path

import pytest

from config.settings import env as env_module

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "config" / "settings"
ENV_EXAMPLE = ROOT / ".env.example"
# Environment modules override whole values for their environment; the rest are concerns.
ENVIRONMENTS = {"local.py", "production.py", "test.py"}
COMPOSERS = {"__init__.py", "base.py"}
ENV_METHODS = {
    "str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "path", "bytes",
    "db", "db_url", "cache", "cache_url", "email", "email_url", "search_url", "get_value",
}  # fmt: skip
VARIABLE_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=")


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_name(node.value, "os")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _env_object_names(tree: ast.Module, *, in_settings: bool) -> set[str]:
    """Names bound to the settings' env object: ``env`` in the settings, else what imports it."""
    names = {"env"} if in_settings else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("config.settings"):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "env"}
    return names


def _literal(node: ast.AST | None, where: str) -> str:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        raise AssertionError(f"{where}: read variables by a literal name, or this test cannot check them")
    return node.value


def _reads_by_call(call: ast.Call, env_names: set[str], *, in_settings: bool) -> bool:
    """``env("X")``, ``env.int("X")``; in the settings also ``os.getenv("X")``, ``os.environ.get("X")``."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in env_names
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ENV_METHODS and isinstance(func.value, ast.Name) and func.value.id in env_names:
        return True
    os_getenv = func.attr == "getenv" and _is_name(func.value, "os")
    os_environ_get = func.attr in {"get", "setdefault", "pop"} and _is_os_environ(func.value)
    return in_settings and (os_getenv or os_environ_get)


def environment_reads(source: str, *, where: str = "<source>", in_settings: bool = True) -> set[str]:
    """Variables ``source`` reads through the env object (and, in the settings, ``os.environ``)."""
    tree = ast.parse(source)
    env_names = _env_object_names(tree, in_settings=in_settings)
    found = set()
    for node in ast.walk(tree):
        where_line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and _reads_by_call(node, env_names, in_settings=in_settings):
            found.add(_literal(node.args[0] if node.args else None, where_line))
        elif in_settings and isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            found.add(_literal(node.slice, where_line))
        elif in_settings and isinstance(node, ast.Compare) and any(map(_is_os_environ, node.comparators)):
            found.add(_literal(node.left, where_line))
    return found


def _settings_reads() -> set[str]:
    reads = set()
    for path in sorted(SETTINGS.glob("*.py")):
        reads |= environment_reads(path.read_text(), where=str(path.relative_to(ROOT)))
    return reads


def _reads_outside_the_settings() -> set[str]:
    """Reads through the settings' env object by the project's other modules (tests aside)."""
    packages = [p for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"]
    paths = [ROOT / "manage.py", *(path for package in packages for path in package.rglob("*.py"))]
    paths = [path for path in paths if SETTINGS not in path.parents]
    reads = set()
    for path in paths:
        reads |= environment_reads(path.read_text(), where=str(path.relative_to(ROOT)), in_settings=False)
    return reads


def _documented() -> list[tuple[str, int]]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    return [(m.group(1), number) for number, line in enumerate(lines) if (m := VARIABLE_LINE.match(line))]


def test_the_scanner_finds_every_kind_of_read():
    source = (
        "import os\nfrom .env import env\n"
        "A = env('A')\nB = env.int('B', default=1)\nC = env.db('C')\nD = os.environ['D']\n"
        "E = os.getenv('E')\nF = os.environ.get('F', '')\nG = 'G' in os.environ\nH = env.path('H', default=None)\n"
        "config = {'x': 1}\nconfig.get('NOT_A_READ')\n"
    )
    assert environment_reads(source) == set("ABCDEFGH")
    elsewhere = "from config.settings.base import env as settings_env\nX = settings_env.str('X')\nos.getenv('NO')\n"
    assert environment_reads(elsewhere, in_settings=False) == {"X"}
    with pytest.raises(AssertionError, match="literal name"):
        environment_reads("from .env import env\nname = 'A'\nA = env.str(name)\n")


def test_every_variable_the_settings_read_is_in_env_example():
    reads = _settings_reads()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "LOG_FORMAT", "DJANGO_READ_DOT_ENV_FILE"} <= reads
    documented = {name for name, _ in _documented()}
    missing = (reads | _reads_outside_the_settings()) - documented
    assert not missing, f"read from the environment but not documented in .env.example: {sorted(missing)}"


def test_env_example_names_only_variables_something_reads():
    reads = _settings_reads() | _reads_outside_the_settings()
    names = [name for name, _ in _documented()]
    assert len(names) == len(set(names)), "a variable is listed twice in .env.example"
    unread = set(names) - reads
    assert not unread, f".env.example documents variables nothing reads: {sorted(unread)}"


def test_env_example_says_what_each_variable_does_and_sets_nothing():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name, number in _documented():
        # Commented out: a copied .env changes nothing until a line is uncommented. Several
        # defaults depend on other values (REDIS_URL, the environment), which a value here would pin.
        assert lines[number].startswith("#"), f"{name} is set in .env.example; comment it out"
        above = lines[number - 1]
        assert above.startswith("# "), f"{name}: say what it does on the line above"
        assert len(above) > 10, f"{name}: say what it does on the line above"


def _concern_modules() -> list[Path]:
    return [p for p in sorted(SETTINGS.glob("*.py")) if p.name not in ENVIRONMENTS | COMPOSERS]


def test_each_setting_is_defined_by_one_concern_module_and_changed_by_none():
    owners: dict[str, str] = {}
    for path in _concern_modules():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    assert target.id not in owners, f"{target.id} is set in {owners[target.id]} and {path.name}"
                    owners[target.id] = path.name
                assert not isinstance(target, ast.Subscript), f"{path.name}:{node.lineno} edits a setting in place"
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                func = node.value.func
                receiver = func.value if isinstance(func, ast.Attribute) else None
                assert not (isinstance(receiver, ast.Name) and receiver.id.isupper()), (
                    f"{path.name}:{node.lineno} changes {receiver.id} in place; define it whole where it belongs"
                )
    assert {"REST_FRAMEWORK", "SIMPLE_JWT", "CELERY_BEAT_SCHEDULE", "LOGGING", "CACHES"} <= set(owners)


def _clean_variable(monkeypatch, name: str) -> None:
    """Unset ``name`` for this test and afterwards, whatever the file read sets."""
    monkeypatch.setenv(name, "")
    monkeypatch.delenv(name)


@pytest.fixture
def env_file(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text("WORKSPACE_TEST_FROM_FILE=file\nWORKSPACE_TEST_ALREADY_SET=file\n")
    monkeypatch.setattr(env_module, "ENV_FILE", path)
    _clean_variable(monkeypatch, "WORKSPACE_TEST_FROM_FILE")
    monkeypatch.setenv("WORKSPACE_TEST_ALREADY_SET", "environment")
    _clean_variable(monkeypatch, "DJANGO_READ_DOT_ENV_FILE")
    return path


def test_env_file_is_read_without_overriding_the_environment(env_file):
    env_module.read_env_file(default=True)
    assert os.environ["WORKSPACE_TEST_FROM_FILE"] == "file"
    assert os.environ["WORKSPACE_TEST_ALREADY_SET"] == "environment"


@pytest.mark.parametrize(
    ("default", "flag", "read"),
    [(False, None, False), (False, "true", True), (True, None, True), (True, "false", False)],
)
def test_env_file_is_read_only_when_the_environment_module_or_the_flag_says(env_file, monkeypatch, default, flag, read):
    if flag is not None:
        monkeypatch.setenv("DJANGO_READ_DOT_ENV_FILE", flag)
    env_module.read_env_file(default=default)
    assert ("WORKSPACE_TEST_FROM_FILE" in os.environ) is read


def test_a_missing_env_file_is_no_error(env_file):
    env_file.unlink()
    env_module.read_env_file(default=True)
    assert "WORKSPACE_TEST_FROM_FILE" not in os.environ


def test_test_settings_choose_for_the_processes_tests_start():
    """test.py pins DJANGO_READ_DOT_ENV_FILE (false unless set), so workers and servers the tests
    start under other settings skip a developer's .env too."""
    assert os.environ.get("DJANGO_READ_DOT_ENV_FILE") in {"false", "true"}
