"""The first page of a person in four organizations against a person in one: ``task_list``'s ``organizations``
case, on its own (``python -m benchmarks organizations --scales 10000,100000,1000000``)."""

from benchmarks import task_list


def main(argv=None):
    # Two pages of a few ms each, a fraction of a ms apart: five rounds do not settle that, fifteen do
    # (docs/performance.md, "The sixth round").
    task_list.main(argv, cases=("organizations",), repeats=15)
