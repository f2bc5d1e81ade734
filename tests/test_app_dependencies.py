"""The project's apps depend on each other one way: no import cycle, and ``config`` imports no app.

Every ``import X`` / ``from X import ...`` of every module of an app (migrations aside, nested
imports included) is an edge from that app to X's app.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = sorted(config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == ROOT.resolve())


def imported_modules(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def app_graph(root: Path, app_names) -> dict[str, set[str]]:
    graph = {}
    for app in app_names:
        graph[app] = set()
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.relative_to(root / app).parts:
                continue
            for module in imported_modules(path.read_text(encoding="utf-8")):
                top = module.partition(".")[0]
                if top in app_names and top != app:
                    graph[app].add(top)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that comes back to its start, or None."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_the_walk_sees_the_project_apps():
    assert {"config", "accounts", "sessions_app", "organizations", "tasks_app"} <= set(APPS)
    assert app_graph(ROOT, APPS)["sessions_app"] >= {"accounts"}


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_walk_sees_nested_and_plain_imports(tmp_path):
    for app, source in {
        "one": "def f():\n    from two.models import X\n",
        "two": "import three.services\n",
        "three": "from . import local\nimport os\n",
    }.items():
        (tmp_path / app).mkdir()
        (tmp_path / app / "mod.py").write_text(source)
    assert app_graph(tmp_path, ["one", "two", "three"]) == {"one": {"two"}, "two": {"three"}, "three": set()}


def test_apps_import_each_other_one_way():
    cycle = find_cycle(app_graph(ROOT, APPS))
    assert cycle is None, f"import cycle between apps: {' -> '.join(cycle)}"


def test_config_imports_no_app():
    assert app_graph(ROOT, APPS)["config"] == set()
