"""The first page of a person in four organizations against a person in one: ``task_list``'s ``organizations``
case, on its own (``python -m benchmarks organizations --scales 10000,100000,1000000``)."""

from benchmarks import task_list


def main(argv=None):
    task_list.main(argv, cases=("organizations",))
