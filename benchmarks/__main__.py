"""Run a benchmark: ``python -m benchmarks NAME [options]``; ``python -m benchmarks`` lists them."""

import importlib
import sys

BENCHMARKS = {
    "session_check": "benchmarks.session_check",
    "rate_limit": "benchmarks.rate_limit",
    "task_list": "benchmarks.task_list",
    "fixed_cost": "benchmarks.fixed_cost",
    "search": "benchmarks.search",
    "organizations": "benchmarks.organizations",
    "load": "benchmarks.load",
    "reports": "benchmarks.reports",
    "imports": "benchmarks.imports",
    "webhooks": "benchmarks.webhooks",
    "events": "benchmarks.events",
    "concurrency": "benchmarks.concurrency",
    "metrics_middleware": "benchmarks.metrics_middleware",
    "goals": "benchmarks.goals",
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print("usage: python -m benchmarks NAME [options]\n\nbenchmarks:")
        for name, module in BENCHMARKS.items():
            doc = (importlib.import_module(module).__doc__ or "").strip().splitlines()[0]
            print(f"  {name:<16} {doc}")
        sys.exit(0 if len(sys.argv) < 2 else 2)
    importlib.import_module(BENCHMARKS[sys.argv[1]]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
