"""Metrics middleware: the CPU it adds to a request and the query counter to a query, A/B in one process.

What ``config.metrics.MetricsMiddleware`` adds to every request (a timer, the query counter's context variable,
three updates of the route's series) is measured around a view that does nothing, against the same view called
bare, alternating round by round so that a busy machine weighs on both alike; the same for ``count_query``
around a database execute that does nothing. ``--multiprocess`` measures as gunicorn runs it
(``PROMETHEUS_MULTIPROC_DIR`` set: each update goes to a memory-mapped file). Compare with ``fixed_cost``'s
per-request CPU (docs/performance.md).
"""

import argparse
import os
import statistics
import tempfile
import time


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks metrics_middleware", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--multiprocess", action="store_true", help="as under gunicorn (PROMETHEUS_MULTIPROC_DIR)")
    args = parser.parse_args(argv)
    if args.multiprocess:  # before prometheus_client is imported, which reads it once
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="benchmark-prometheus-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from config.metrics import MetricsMiddleware, count_query

    path = "/api/v1/organizations/00000000-0000-0000-0000-000000000001/trash"
    match, response, request = resolve(path), HttpResponse(b"{}"), RequestFactory().get(path)

    def view(request):
        request.resolver_match = match
        return response

    def execute(sql, params, many, context):
        return None

    measured = MetricsMiddleware(view)

    def per_call(function) -> float:
        started = time.process_time()
        for _ in range(args.calls):
            function()
        return (time.process_time() - started) / args.calls * 1e6

    pairs = {
        "request": (lambda: view(request), lambda: measured(request)),
        "query": (lambda: execute("", None, False, None), lambda: count_query(execute, "", None, False, None)),
    }
    mode = "multiprocess (as under gunicorn)" if args.multiprocess else "single process"
    print(f"{mode}; median of {args.rounds} interleaved rounds of {args.calls} calls, CPU per call:")
    for name, (bare, with_metrics) in pairs.items():
        rounds = [(per_call(bare), per_call(with_metrics)) for _ in range(args.rounds)]
        bare_us = statistics.median(b for b, _ in rounds)
        with_us = statistics.median(w for _, w in rounds)
        print(f"  {name}: {bare_us:.2f} us bare, {with_us:.2f} us with metrics: {with_us - bare_us:+.2f} us added")
