"""`make run` installs what serving needs; the test tools come with `make test` (read from the Makefile)."""

import re
from pathlib import Path

MAKEFILE = (Path(__file__).resolve().parent.parent / "Makefile").read_text()


def rule(target: str) -> tuple[str, str]:
    """(prerequisites, recipe) of a target."""
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", MAKEFILE, re.MULTILINE)
    assert match, f"no rule for {target}"
    return match.group(1), match.group(2)


def test_make_run_installs_only_the_runtime_requirements():
    prerequisites, _ = rule("run")
    assert prerequisites.split() == ["setup-runtime"]
    assert rule("setup-runtime")[0].split() == ["$(VENV)/.installed-runtime"]
    runtime_prerequisites, runtime_recipe = rule("$(VENV)/.installed-runtime")
    assert runtime_prerequisites.split() == ["requirements.txt"]
    assert "-r requirements.txt" in runtime_recipe
    assert "requirements-dev" not in runtime_recipe


def test_make_test_adds_the_test_tools():
    assert "setup" in rule("test")[0].split()
    assert rule("setup")[0].split() == ["$(VENV)/.installed-dev"]
    dev_prerequisites, dev_recipe = rule("$(VENV)/.installed-dev")
    assert dev_prerequisites.split() == ["$(VENV)/.installed-runtime", "requirements-dev.txt"]
    assert "-r requirements-dev.txt" in dev_recipe


def test_every_slow_tier_has_its_make_target():
    from tests.conftest import SLOW_TIERS

    for tier in SLOW_TIERS:
        assert f"TIER_{tier} := -m {tier}" in MAKEFILE
