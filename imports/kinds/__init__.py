"""The import kinds, registered here: adding one is a class in its own file (see ``base.CsvImport``),
a line below, and its value in ``imports.models.ImportKind``."""

from imports.kinds.base import CsvImport
from imports.kinds.members import MemberImport
from imports.kinds.tasks import TaskImport
from imports.models import ImportJob

KINDS: dict[str, type[CsvImport]] = {kind.kind: kind for kind in (TaskImport, MemberImport)}


def import_kind_for(job: ImportJob) -> CsvImport:
    """The kind of import ``job`` is, bound to it."""
    return KINDS[job.kind](job)
