"""Task search at scale (full-text and substrings) against the best raw SQL of the same page: ``task_list``'s
``search`` case, on its own (``python -m benchmarks search --scales 10000,100000,1000000``)."""

from benchmarks import task_list


def main(argv=None):
    task_list.main(argv, cases=("search",))
