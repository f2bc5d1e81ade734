"""The task list at scale: each page through the API (in process) against the raw SQL of the same page.

On PostgreSQL, on the shared data set (``benchmarks/dataset.py``: an organization of N tasks and three more of
N/10, one person in all four, twenty members in the first), at each size of ``--scales`` (the data set grows
from one to the next), three goals of docs/performance.md, each a ``--case``:

- ``filters``: the first page of ``GET /api/v1/tasks``, unfiltered and for each documented filter, and of
  ``/tasks/assigned``, as a member of one organization, against the SQL that returns that page alone (hand
  written: the rows, their creator, assignee and mentioned people), so the API's count is not in the reference.
- ``search``: ``?search=`` a rare word (20 hits), a common word (about 30%), a word found by its stem only and a
  substring, against the best raw SQL of the same page (the full-text and substring conditions, ranked).
- ``organizations``: the first page of the person in four organizations against the same page of a person in
  one, and against the raw SQL of the merged page.

The API side is the WSGI application called in process, every middleware included. Each figure is the
median of interleaved rounds; the raw SQL runs on the benchmark's own persistent connection, two ways: planned on
every run (as a statement bound on the client is) and prepared (planned once on the connection, then only run, as
the API's list statements of equalities are: ``config/statements.py``); the reference is the faster of the two, the
database's own limit for that page. The last line is the goal's ratio at the largest size (``python -m benchmarks
search`` and ``python -m benchmarks organizations`` run one case; ``task_list`` runs the three, filters last).
"""

# The raw SQL inlines ids, words and dates the benchmark made itself: no user input reaches it.
# ruff: noqa: S608

import argparse
import datetime
import json
import statistics
import time
from typing import NamedTuple

from benchmarks import dataset
from benchmarks.harness import (
    access_token,
    describe_backends,
    page_cache_argument,
    print_scale_curve,
    scales_argument,
    setup_django,
    test_database,
    use_page_cache,
    wsgi_getter,
)

CASES = ("search", "organizations", "filters")
PEOPLE_COMPARED = "4 organizations vs 1 (both API)"
OTHER_ORGANIZATIONS = 3  # beside the first, each a tenth of its size

PAGE_SQL = """
SELECT t.id, t.organization_id, t.title, t.description, t.status, t.priority, t.created_by_id, t.assignee_id,
       t.due_date, t.completed_at, t.created_at, t.updated_at,
       c.username, c.full_name, c.email, a.username, a.full_name, a.email,
       (SELECT coalesce(json_agg(json_build_object('id', u.id, 'username', u.username, 'full_name', u.full_name,
                                                   'email', u.email) ORDER BY u.username), '[]')
          FROM tasks_app_taskmention m JOIN accounts_user u ON u.id = m.user_id WHERE m.task_id = t.id) AS mentions
       {select}
  FROM tasks_app_task t
  LEFT JOIN accounts_user c ON c.id = t.created_by_id LEFT JOIN accounts_user a ON a.id = t.assignee_id
 WHERE t.deleted_at IS NULL AND {where}
 ORDER BY {order} t.created_at DESC, t.id DESC LIMIT 20
"""


def page_sql(*, where: str, select: str = "", order: str = "") -> str:
    return PAGE_SQL.format(select=select, where=where, order=order)


def search_sql(organization_id, word: str, language: str) -> str:
    """The search's page as one would write it by hand: the query inline (a constant the planner folds, so the
    scan may run in parallel workers), the full-text match or the substrings, ranked."""
    query = f"websearch_to_tsquery('{language}', '{word}')"
    like = "'%" + word.upper() + "%'"
    substring = f"upper(t.title::text) LIKE {like} OR upper(t.description) LIKE {like}" if len(word) >= 3 else "false"
    return page_sql(
        select=f", ts_rank(t.search_vector, {query}) AS rank",
        where=f"t.organization_id = '{organization_id}' AND (t.search_vector @@ {query} OR {substring})",
        order="rank DESC,",
    )


def merged_sql(organization_ids) -> str:
    """The page of a person in several organizations, as the best plan reads it: each organization's first rows
    (an ordered walk of its index), merged."""
    parts = " UNION ALL ".join(
        f"(SELECT id, created_at FROM tasks_app_task WHERE organization_id = '{pk}' AND deleted_at IS NULL "
        f"ORDER BY created_at DESC, id DESC LIMIT 21)"
        for pk in organization_ids
    )
    return page_sql(where=f"t.id IN (SELECT id FROM ({parts}) AS firsts ORDER BY created_at DESC, id DESC LIMIT 21)")


# --- Timing ------------------------------------------------------------------------------------------------------


def api(token: str, path: str, query: dict | None = None):
    """GET ``path`` through the WSGI application itself, every middleware included (as gunicorn calls it; not
    Django's test client, which adds work no real request pays); returns the page's ids, in order, to check
    that both sides give the same page."""
    from urllib.parse import urlencode

    from config.wsgi import application

    get = wsgi_getter(application, f"{path}?{urlencode(query or {})}", token)
    return lambda: [row["id"] for row in json.loads(get())["data"]]


class Reference(NamedTuple):
    """One statement run two ways on the benchmark's connection; the faster is the reference."""

    planned: object
    prepared: object


def raw(sql: str) -> Reference:
    import psycopg
    from django.db import connection

    def planned():
        with connection.cursor() as cursor:  # bound on the client, as Django sends: planned on every run
            cursor.execute(sql)
            return [str(row[0]) for row in cursor.fetchall()]

    def prepared():
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:  # planned once on this connection, then only run
            cursor.execute(sql, prepare=True)
            return [str(row[0]) for row in cursor.fetchall()]

    return Reference(planned, prepared)


def measure(pairs: dict[str, tuple], *, repeats: int) -> dict[str, float]:
    """Median seconds of each function, in interleaved rounds; each round calls a function as often as fills
    about 0.2 s (at least once), so fast and slow cases get comparable samples."""
    functions = {}
    for label, (first, second) in pairs.items():
        functions[f"{label} | API"] = first
        references = second if isinstance(second, Reference) else Reference(second, None)
        functions[f"{label} | ref"] = references.planned
        if references.prepared is not None:
            functions[f"{label} | ref prepared"] = references.prepared
        # The same page on both sides (the reference is the same result, not a lighter one), but for the two
        # people's pages (another organization set).
        if label != PEOPLE_COMPARED:
            for reference in filter(None, references):
                assert first() == reference(), f"{label}: the API and its reference answer different pages"
    calls = {}
    for name, fn in functions.items():
        fn()  # warm: caches, plans, the session
        started = time.perf_counter()
        fn()
        calls[name] = max(1, min(50, int(0.2 / max(time.perf_counter() - started, 1e-6))))
    samples = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            started = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            samples[name].append((time.perf_counter() - started) / calls[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def report(results: dict[str, float], size: int) -> dict[str, float]:
    """Print API, reference (the faster of its two ways; ``p`` marks the prepared one), ratio and difference per
    case; return the ratios."""
    print(f"\n{size:,} tasks in the first organization ({describe_backends()}):")
    print(f"  {'case':<44} {'API ms':>9} {'ref ms':>10} {'ratio':>7} {'API - ref':>10}")
    ratios = {}
    for name in results:
        if not name.endswith(" | API"):
            continue
        label = name.removesuffix(" | API")
        first = results[name]
        second, way = min(
            (results[f"{label} | ref{suffix}"], mark)
            for suffix, mark in (("", " "), (" prepared", "p"))
            if f"{label} | ref{suffix}" in results
        )
        ratios[label] = first / second
        print(
            f"  {label:<44} {first * 1000:9.2f} {second * 1000:9.2f}{way} {first / second:6.2f}x "
            f"{(first - second) * 1000:9.2f}"
        )
    return ratios


# --- The cases -----------------------------------------------------------------------------------------------------


def filter_pairs(data, tokens) -> dict[str, tuple]:
    org = data.organization
    member, assignee = data.members[1], data.members[3]
    mentioned = data.members[dataset.MENTIONED]
    token = tokens[member.pk]
    in_org = f"t.organization_id = '{org.pk}'"
    day = (datetime.date.today() - datetime.timedelta(days=365)).isoformat()
    cases = {
        "": in_org,
        "status=in_progress": f"{in_org} AND t.status = 2",
        "priority=urgent": f"{in_org} AND t.priority = 4",
        f"assignee={assignee.pk}": f"{in_org} AND t.assignee_id = '{assignee.pk}'",
        f"created_by={data.owner.pk}": f"{in_org} AND t.created_by_id = '{data.owner.pk}'",
        f"mentioned={mentioned.pk}": f"{in_org} AND EXISTS (SELECT 1 FROM tasks_app_taskmention m "
        f"WHERE m.task_id = t.id AND m.user_id = '{mentioned.pk}')",
        f"due_before={day}": f"{in_org} AND t.due_date <= '{day}'",
        f"due_after={day}": f"{in_org} AND t.due_date >= '{day}'",
    }
    pairs = {}
    for query, where in cases.items():
        label = "GET /tasks" + (f"?{query.split('=')[0]}=" if query else "")
        params = dict([query.split("=")]) if query else {}
        pairs[label] = (api(token, "/api/v1/tasks", params), raw(page_sql(where=where)))
    assigned = tokens[assignee.pk]
    pairs["GET /tasks/assigned"] = (
        api(assigned, "/api/v1/tasks/assigned"),
        raw(page_sql(where=f"{in_org} AND t.assignee_id = '{assignee.pk}'")),
    )
    return pairs


def search_pairs(data, tokens) -> dict[str, tuple]:
    org = data.organization
    token = tokens[data.members[1].pk]
    words = {
        f"rare word ({dataset.RARE_WORD})": dataset.RARE_WORD,
        f"common word ({dataset.COMMON_WORD})": dataset.COMMON_WORD,
        "stem only (deploying)": "deploying",
        "substring (onboard)": "onboard",
    }
    return {
        f"search, {label}": (
            api(token, "/api/v1/tasks", {"search": word}),
            raw(search_sql(org.pk, word, org.language)),
        )
        for label, word in words.items()
    }


def organization_pairs(data, tokens) -> dict[str, tuple]:
    several, one = tokens[data.owner.pk], tokens[data.members[1].pk]
    return {
        PEOPLE_COMPARED: (api(several, "/api/v1/tasks"), api(one, "/api/v1/tasks")),
        "4 organizations vs its raw SQL": (
            api(several, "/api/v1/tasks"),
            raw(merged_sql([o.pk for o in data.organizations])),
        ),
    }


PAIRS = {"filters": filter_pairs, "search": search_pairs, "organizations": organization_pairs}
LAST_LINE = {
    "search": ("search, ", "search: API / best raw SQL of the same page"),
    "organizations": ("4 organizations vs 1", "first page in 4 organizations / in 1"),
    "filters": ("GET /tasks", "first page of a filter: API / the SQL of that page alone"),
}


def run(scales: list[int], cases: list[str], repeats: int, deleted_percent: int = 0) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    data, tokens, figures, ratios = None, {}, {}, {}
    for size in scales:
        sizes = [size] + [size // 10] * OTHER_ORGANIZATIONS
        started = time.perf_counter()
        if data is None:
            data = dataset.build(sizes, deleted_percent=deleted_percent)
        else:
            data = dataset.grow(data, sizes, deleted_percent=deleted_percent)
        print(f"\ndata set: {' + '.join(f'{n:,}' for n in sizes)} tasks, in {time.perf_counter() - started:.0f} s")
        for user in (data.owner, data.members[1], data.members[3]):
            tokens.setdefault(user.pk, access_token(user))
        pairs = {}
        for case in cases:
            pairs.update(PAIRS[case](data, tokens))
        results = measure(pairs, repeats=repeats)
        ratios[size] = report(results, size)
        figures[size] = results
    print_scale_curve(figures, width=52)
    largest = scales[-1]
    for case in cases:
        prefix, meaning = LAST_LINE[case]
        worst = max((ratio, label) for label, ratio in ratios[largest].items() if label.startswith(prefix))
        print(f"{meaning}, at {largest:,} tasks, worst case ({worst[1]}): {worst[0]:.2f}x")


def main(argv=None, *, cases: tuple[str, ...] = CASES, repeats: int = 5):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scales_argument(parser)
    parser.add_argument("--cases", default=",".join(cases), help=f"some of {', '.join(CASES)}")
    parser.add_argument("--repeats", type=int, default=repeats, help="interleaved rounds (the median is shown)")
    parser.add_argument("--deleted", type=int, default=0, help="percent of the tasks soft-deleted, e.g. 10")
    page_cache_argument(parser, default=0)  # the page computed, as its reference computes it
    args = parser.parse_args(argv)
    chosen = [case for case in CASES if case in args.cases.split(",")]
    print(use_page_cache(args.page_cache))
    setup_django()
    with test_database():
        run(args.scales, chosen, args.repeats, args.deleted)


if __name__ == "__main__":
    main()
