"""What every import kind is: the columns it reads, how it validates a row, how it loads a batch.

A kind is one class (``imports/kinds/tasks.py``, ``imports/kinds/members.py``) registered in
``imports/kinds/__init__.py``; the runner (``imports/runner.py``) knows only this interface.

Rows are validated with plain code: no serializer, no ``full_clean``, no query per row (anything
that needs the database, such as who is a member, is resolved once per run in ``validator``). A
validator runs in the runner's read-ahead thread (``ImportRun._pass``), outside the batch's
transaction: it must not query at all. It takes a row's cells and returns either the row to load or a
list of ``Problem``;
docs/performance.md has the measurements behind that choice.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from imports.csv_source import HeaderMatch
from imports.models import ImportJob

ABSENT = 1 << 30  # the position of a column the file does not have: always past the row's end


@dataclass(frozen=True, slots=True)
class Problem:
    column: str
    code: str
    message: str
    value: str = ""


def too_many_cells(count: int, width: int) -> list[Problem]:
    return [
        Problem("", "too_many_cells", f"The row has {count} cells but the header has {width} columns; check quoting.")
    ]


Validator = Callable[[list[str]], "object | list[Problem]"]


@dataclass
class LoadResult:
    """What loading one batch did; ``summary`` is added to the job's for its final notifications."""

    created: int = 0
    skipped: int = 0
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    rejected: int = 0
    summary: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """One ``import_summary`` notification a kind sends when its job ends (``imports.events`` sends it)."""

    recipients: list
    title: str
    url: str
    data: dict = field(default_factory=dict)


class CsvImport(ABC):
    """One kind of import. Subclasses set ``kind``, ``columns`` and ``required`` and implement
    ``validator`` and ``load``; ``summary_notices`` and ``batch_size`` have defaults."""

    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]

    def __init__(self, job: ImportJob):
        self.job = job

    @property
    def batch_size(self) -> int:
        """Rows per transaction (each batch commits with the job's checkpoint)."""
        return settings.IMPORT_BATCH_SIZE

    @abstractmethod
    def validator(self, match: HeaderMatch) -> Validator:
        """The row validator for a file whose header is ``match``; called once per run."""

    @abstractmethod
    def load(self, rows: list[tuple[int, object]]) -> LoadResult:
        """Write a batch of valid ``(line, row)``, in the batch's transaction."""

    def summary_notices(self) -> list[Notice]:
        """Who else hears about the ended job, from its accumulated ``summary``; the importer always does."""
        return []
