"""Task search (``?search=``): full-text in the language of the organization, and substrings.

On PostgreSQL a task is found when either:

- **its words match**: ``search_vector`` (a stored generated column: the title weighted A, the description
  B, stemmed in the task's ``search_language``, its organization's language) ``@@
  websearch_to_tsquery(language, text)``, through the GIN index ``task_search_idx``. So "deploying"
  finds "deployment", ``"exact phrase"`` a phrase, ``-word`` excludes and ``or`` offers alternatives;
  results are ranked (``ts_rank``, the title weighing more), newest first among equals;
- or **every term is a substring** of its title or description, case-insensitively (``dep`` finds
  "deploy", ``#1234`` finds "Ticket #1234"), through the trigram indexes on ``UPPER(title)`` and
  ``UPPER(description)``: exactly what Django's ``icontains`` compiles to. Only for terms of three
  characters or more (a trigram index cannot serve a shorter one) and for a query without ``or``.

Elsewhere (SQLite) only the substring rule applies, for terms of any length, newest first.
"""

import re
from typing import NamedTuple

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connections, models
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.lookups import Exact

from config import statements
from config.languages import DEFAULT_SEARCH_LANGUAGE

MAX_TERMS = 10
MIN_SUBSTRING = 3  # pg_trgm extracts no trigram from a shorter term: its index could not serve it
RANK = "search_rank"  # the annotation that orders a search (``tasks_app.filters.TaskOrderingFilter``)

_TERM = re.compile(r'(-?)"([^"]*)"?|([^\s"]+)')
_AROUND_WORDS = ",.;:!?()[]{}<>'`"


class RegConfigField(models.CharField):
    """A text search configuration's name (``english``): PostgreSQL's ``regconfig`` type, since a generated
    column may only use immutable expressions and a cast from text to ``regconfig`` is not; text elsewhere."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        return "regconfig" if connection.vendor == "postgresql" else super().db_type(connection)


@RegConfigField.register_lookup
class RegConfigExact(Exact):
    """``search_language = 'english'::regconfig``: PostgreSQL has no ``=`` of its own for ``regconfig`` (it
    compares the oids), so a bare ``'english'`` would be read as an oid."""

    def process_rhs(self, compiler, connection):
        sql, params = super().process_rhs(compiler, connection)
        return (f"({sql})::regconfig" if connection.vendor == "postgresql" else sql), params


class TaskSearchDocument(Func):
    """The generated ``search_vector`` of a task: ``setweight(to_tsvector(search_language, title), 'A') ||
    setweight(to_tsvector(search_language, description), 'B')``. NULL where there is no full-text search."""

    output_field = SearchVectorField(null=True)

    def __init__(self):
        super().__init__()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        language = F("search_language")
        document = SearchVector("title", config=language, weight="A") + SearchVector(
            "description", config=language, weight="B"
        )
        return compiler.compile(document.resolve_expression(compiler.query, allow_joins=False))


class Terms(NamedTuple):
    include: list[str]
    exclude: list[str]
    has_or: bool
    websearch: str  # the query again, in a form websearch_to_tsquery always reads (no run of operators)


def search_terms(text: str) -> Terms:
    """The terms of a query in web search syntax: quoted phrases are one term, ``-term`` is excluded, ``or``
    between terms is an alternative; punctuation around a bare word is not part of it. At most ``MAX_TERMS``."""
    include, exclude, has_or, parts = [], [], False, []
    for negated, phrase, word in _TERM.findall(text):
        if word:
            if word.lower() == "or":
                has_or = bool(parts)
                parts.append("or")
                continue
            negated = "-" if word.startswith("-") else ""
            term = word.lstrip("-").strip(_AROUND_WORDS)
        else:
            term = phrase.strip()
        if not term:
            continue
        if len(include) + len(exclude) == MAX_TERMS:
            break
        (exclude if negated else include).append(term)
        parts.append(negated + (f'"{term}"' if phrase else term))
    while parts and parts[-1] == "or":
        parts.pop()
    return Terms(include, exclude, has_or, " ".join(parts))


def substring_condition(include: list[str], exclude: list[str]) -> Q:
    condition = Q()
    for term in include:
        condition &= Q(title__icontains=term) | Q(description__icontains=term)
    for term in exclude:
        condition &= ~Q(title__icontains=term) & ~Q(description__icontains=term)
    return condition


def search(queryset: models.QuerySet, text: str, *, languages) -> models.QuerySet:
    """``queryset`` narrowed to the tasks ``text`` finds and, on PostgreSQL, annotated with their ``RANK``.
    ``languages``: the search languages of the organizations searched (their tasks are stemmed in them).

    On PostgreSQL a shaped queryset (``config.statements``) records the search rather than building it: its shape is
    the languages, how many terms it includes and excludes, and whether it matches substrings; its values are the
    query and the terms. So a search of a shape seen before is bound, not built and compiled again."""
    include, exclude, has_or, websearch = search_terms(text)
    if connections[queryset.db].vendor != "postgresql":
        return queryset.filter(substring_condition(include, exclude)) if include or exclude else queryset.none()
    shape = (
        tuple(sorted(set(languages)) or [DEFAULT_SEARCH_LANGUAGE]),
        len(include),
        bool(include and not has_or and all(len(term) >= MIN_SUBSTRING for term in include)),
    )
    return statements.derive(queryset, _searched, shape, websearch, *include, *exclude)


def _searched(queryset, languages: tuple, included: int, substrings: bool, websearch: str, *terms: str):
    """``search``'s queryset on PostgreSQL: ``terms`` are the ``included`` terms, then those excluded."""
    queries = {language: SearchQuery(websearch, search_type="websearch", config=language) for language in languages}
    if len(queries) == 1:
        ((language, query),) = queries.items()
        matches = Q(search_vector=query)
        rank = SearchRank(F("search_vector"), query)
    else:
        matches = Q()
        for language, query in queries.items():
            matches |= Q(search_language=language, search_vector=query)
        rank = Case(
            *(
                When(search_language=language, then=SearchRank(F("search_vector"), query))
                for language, query in queries.items()
            ),
            default=Value(0.0),
            output_field=models.FloatField(),
        )
    if substrings:
        matches |= substring_condition(list(terms[:included]), list(terms[included:]))
    return queryset.filter(matches).annotate(**{RANK: rank})


_searched.annotates = (RANK,)  # read by ``config.statements.annotated`` before the search is applied
