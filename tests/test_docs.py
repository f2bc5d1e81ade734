"""The docs stay navigable and complete: links resolve, and every pinned package says why it is here."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", path.read_text())
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _relative_links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text())
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    broken = []
    for target in _relative_links(doc):
        name, _, anchor = target.partition("#")
        destination = (doc.parent / name).resolve() if name else doc
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"{target}: no such heading")
    assert not broken, broken


def test_every_pinned_package_is_explained():
    explained = (ROOT / "docs" / "dependencies.md").read_text().lower()
    pinned = set()
    for requirements in ROOT.glob("requirements*.txt"):
        for line in requirements.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                pinned.add(re.split(r"[\[=<>~!; ]", line, maxsplit=1)[0].lower())
    assert pinned, "no pinned packages found"
    missing = sorted(name for name in pinned if f"| {name} |" not in explained)
    assert not missing, f"pinned but not in docs/dependencies.md: {missing}"
