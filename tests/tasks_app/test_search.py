"""``GET /tasks?search=``: words in the organization's language (PostgreSQL), and substrings (everywhere).

The plans that make it fast (the GIN index of ``search_vector``, the trigram indexes) are asserted in
``test_query_plans.py``.
"""

import pytest
from django.db import connection

from organizations.models import Organization, Role
from tasks_app.models import Task
from tasks_app.search import search_terms
from tests.factories import MembershipFactory, OrganizationFactory
from tests.tasks_app.conftest import TASKS

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="full-text search is PostgreSQL's")


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["data"]]


@pytest.fixture
def found(client_as, make_task):
    make_task(title="Deployment checklist", description="Before we deploy on Friday")
    make_task(title="Invoice #1234", description="Customer asked twice")
    make_task(title="Plan the offsite", description="Deploying the new badge printers at the venue")
    make_task(title="Printer broken", description="Third floor, again")
    client = client_as("viewer")
    return lambda text, **query: titles(client.get(TASKS, {"search": text, **query}))


def test_every_term_as_a_substring_any_case(found):
    assert set(found("DEPLOY")) == {"Deployment checklist", "Plan the offsite"}
    assert found("#1234") == ["Invoice #1234"]
    assert found("print broken") == ["Printer broken"]


def test_a_quoted_phrase_and_an_excluded_term(found):
    assert found('"badge printers"') == ["Plan the offsite"]
    assert found("printer -venue") == ["Printer broken"]


def test_no_match_is_an_empty_page(found):
    assert found("zeppelin") == []


@postgres_only
def test_words_match_their_stems(found):
    # "deploying" shares no substring with "Deployment", only the stem (english: deploy).
    assert set(found("deploying")) == {"Deployment checklist", "Plan the offsite"}
    assert found("printers broke") == []  # every word must match: "broke" is not "broken"'s stem
    assert set(found("printers or invoices")) == {"Invoice #1234", "Plan the offsite", "Printer broken"}


@postgres_only
def test_best_matches_first_unless_an_ordering_is_asked(found):
    # The title weighs more than the description; among equals, the newest first.
    assert found("deploy") == ["Deployment checklist", "Plan the offsite"]
    assert found("deploy", ordering="created_at") == ["Deployment checklist", "Plan the offsite"]
    assert found("deploy", ordering="-created_at") == ["Plan the offsite", "Deployment checklist"]


@postgres_only
def test_words_are_stemmed_in_the_organizations_language(client_for, make_task, org):
    """A French organization's tasks match French stems; a person in it and in an English one finds both."""
    french = OrganizationFactory(language="french")
    MembershipFactory(organization=french, user=org.viewer, role=Role.VIEWER)
    from tasks_app.services import task_create

    task_create(organization=french, created_by=None, title="Les chevaux mangeaient", description="")
    make_task(title="The horses were eating")
    client = client_for(org.viewer)
    assert titles(client.get(TASKS, {"search": "manger cheval"})) == ["Les chevaux mangeaient"]
    assert titles(client.get(TASKS, {"search": "eats horse"})) == ["The horses were eating"]


@postgres_only
def test_a_new_language_indexes_the_tasks_again(client_as, make_task, org, django_capture_on_commit_callbacks):
    make_task(title="Les chevaux mangeaient")
    assert titles(client_as("viewer").get(TASKS, {"search": "manger"})) == []  # english does not stem French
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("admin").patch(f"/api/v1/organizations/{org.id}", {"language": "french"}, format="json")
    assert response.status_code == 200
    assert response.json()["language"] == "french"
    assert set(Task.objects.values_list("search_language", flat=True)) == {"french"}
    assert titles(client_as("viewer").get(TASKS, {"search": "manger"})) == ["Les chevaux mangeaient"]


def test_the_language_is_one_of_the_search_configurations(client_as, org):
    response = client_as("admin").patch(f"/api/v1/organizations/{org.id}", {"language": "klingon"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "language"
    assert Organization.objects.get(pk=org.id).language == "english"


def test_every_offered_language_is_known_to_the_database(client_as):
    if connection.vendor != "postgresql":
        pytest.skip("the configurations are PostgreSQL's")
    from config.languages import SEARCH_LANGUAGES

    with connection.cursor() as cursor:
        cursor.execute("SELECT cfgname FROM pg_ts_config")
        known = {row[0] for row in cursor.fetchall()}
    assert set(SEARCH_LANGUAGES) <= known


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "-",
        "or",
        "!!!",
        "a & b | c",
        "'); DROP TABLE tasks_app_task; --",
        "\\",
        "%_%",
        "ü" * 200,
        "-" * 50,
        "x" * 200,
        "(" * 40,
        "!a:*",
        "<->",
        "🙂 café",
        '"-" -"-"',
    ],
)
def test_any_text_is_a_search_never_an_error(found, text):
    # Seen, learnt, then bound from its shape (config.statements): the same answer each time.
    answers = [found(text) for _ in range(3)]
    assert isinstance(answers[0], list)
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize(
    "text",
    [
        "deploy",
        "DEPLOY printer",
        "deploy -friday",
        "printer -venue",
        "eploy -frid",  # substrings only (no word is a stem): which term is excluded decides the answer
        "rinte -venu",
        '"badge printers"',
        "printers or invoices",
        "#1234",
        "1234 #",
        "print print",
        "english",
        "the",
        "%",
        "r_d",
    ],
)
def test_a_search_bound_from_its_shape_answers_what_django_builds(found, org, text):
    """The third request of a search is bound from its shape; it lists what the search built by Django directly
    lists, in the same order."""
    from tasks_app.search import RANK, search

    for _ in range(2):
        found(text)
    tasks = search(
        Task.objects.filter(organization=org.organization, deleted_at=None),
        text,
        languages=[org.organization.language],
    )
    ranked = [f"-{RANK}"] if connection.vendor == "postgresql" else []
    expected = list(tasks.order_by(*ranked, "-created_at", "-pk").values_list("title", flat=True)[:20])
    assert found(text) == expected


def test_a_null_character_is_a_400_on_the_parameter(client_as):
    response = client_as("viewer").get(TASKS, {"search": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "search"


def test_search_terms():
    terms = search_terms('deploy "badge printers" -venue, or #1234. ---x "unclosed')
    assert terms == (["deploy", "badge printers", "#1234", "unclosed"], ["venue", "x"], True, terms.websearch)
    assert terms.websearch == 'deploy "badge printers" -venue or #1234 -x "unclosed"'
    assert search_terms("  - -- or ").websearch == ""


@postgres_only
def test_imported_tasks_are_stemmed_in_the_organizations_language(org):
    from tasks_app.bulk import TaskLoadRow
    from tasks_app.services import task_bulk_load

    Organization.objects.filter(pk=org.id).update(language="french")
    org.organization.refresh_from_db()
    row = TaskLoadRow(
        title="Les chevaux mangeaient", description="", status=1, priority=2, assignee_id=None, due_date=None
    )
    task_bulk_load(organization=org.organization, rows=[row], created_by=org.owner)
    task = Task.objects.get(title="Les chevaux mangeaient")
    assert task.search_language == "french"
    from django.contrib.postgres.search import SearchQuery

    assert Task.objects.filter(search_vector=SearchQuery("manger", config="french")).exists()
