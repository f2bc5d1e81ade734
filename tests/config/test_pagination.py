import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.urls")]


@pytest.fixture
def users():
    return UserFactory.create_batch(7)


def test_list_shape(api_client, users):
    body = api_client.get("/api/v1/_test/users?page_size=3&page=2").json()
    assert [u["email"] for u in body["data"]] == sorted(u.email for u in users)[3:6]
    assert body["pagination"] == {
        "total": 7,
        "total_exact": True,
        "page": 2,
        "page_size": 3,
        "total_pages": 3,
        "has_next": True,
        "has_prev": True,
    }


def test_default_page_size(api_client, users, settings):
    body = api_client.get("/api/v1/_test/users").json()
    assert body["pagination"]["page_size"] == settings.REST_FRAMEWORK["PAGE_SIZE"]


def test_page_size_is_bounded(api_client, users, settings):
    settings.API_MAX_PAGE_SIZE = 5
    body = api_client.get("/api/v1/_test/users?page_size=1000").json()
    assert body["pagination"]["page_size"] == 5
    assert len(body["data"]) == 5


@pytest.mark.parametrize("page", ["99", "0", "abc"])
def test_page_out_of_range_is_404_in_the_envelope(api_client, users, page):
    response = api_client.get(f"/api/v1/_test/users?page={page}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "invalid_page"


@pytest.mark.parametrize("query", ["page=2&page=1", "page=true&page=true&page=", "page_size=2&page=1&page_size="])
def test_a_repeated_query_parameter_is_400_in_the_envelope(api_client, users, query):
    """One value or none: Django would keep the last of several, which could silently be a blank one."""
    response = api_client.get(f"/api/v1/_test/users?{query}")
    assert response.status_code == 400
    name = "page" if query.startswith("page=") else "page_size"
    assert response.json()["errors"] == [
        {"code": "repeated_parameter", "message": "Give this query parameter once.", "field": name}
    ]


def test_list_costs_the_same_queries_whatever_the_page_size(api_client, users, django_assert_max_num_queries):
    for size in (1, 7):
        with django_assert_max_num_queries(2):
            assert api_client.get(f"/api/v1/_test/users?page_size={size}").status_code == 200


def test_a_list_past_the_count_limit_says_its_total_is_a_bound(api_client, users, settings):
    """Counted up to API_EXACT_COUNT_LIMIT rows: above it, ``total`` is the bound and ``total_exact`` false,
    ``total_pages`` a lower bound, and ``has_next`` still says whether to go on."""
    settings.API_EXACT_COUNT_LIMIT = 4
    body = api_client.get("/api/v1/_test/users?page_size=2").json()
    assert body["pagination"] == {
        "total": 4,
        "total_exact": False,
        "page": 1,
        "page_size": 2,
        "total_pages": 2,
        "has_next": True,
        "has_prev": False,
    }
    # Deeper than the bound, the count reaches just past the page, so the total never lags what was read.
    body = api_client.get("/api/v1/_test/users?page_size=2&page=3").json()
    assert body["pagination"]["has_next"] is True
    assert (body["pagination"]["total"], body["pagination"]["total_exact"]) == (7, True)
    last = api_client.get("/api/v1/_test/users?page_size=2&page=4").json()
    assert len(last["data"]) == 1
    assert last["pagination"] | {"data": None} == {
        "total": 7,
        "total_exact": True,
        "page": 4,
        "page_size": 2,
        "total_pages": 4,
        "has_next": False,
        "has_prev": True,
        "data": None,
    }


def test_page_last_works_while_the_count_is_exact(api_client, users, settings):
    body = api_client.get("/api/v1/_test/users?page_size=3&page=last").json()
    assert body["pagination"]["page"] == 3
    assert len(body["data"]) == 1
    settings.API_EXACT_COUNT_LIMIT = 4
    response = api_client.get("/api/v1/_test/users?page_size=3&page=last")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "invalid_page"
    assert "has_next" in response.json()["errors"][0]["message"]


def test_a_list_that_fits_its_page_is_not_counted(api_client, users, django_assert_num_queries):
    """The page is read with one row more than asked for; when that row is missing, the total is known."""
    with django_assert_num_queries(1) as captured:
        body = api_client.get("/api/v1/_test/users?page_size=10").json()
    assert body["pagination"]["total"] == 7
    assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()


def test_the_count_is_bounded_in_sql(api_client, users, settings, django_assert_num_queries):
    settings.API_EXACT_COUNT_LIMIT = 4
    with django_assert_num_queries(2) as captured:
        api_client.get("/api/v1/_test/users?page_size=2")
    count = next(q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper())
    assert "LIMIT 5" in count


@pytest.mark.parametrize("page", ["99999999999999999999", "1e3", "-1", "٣"])
def test_an_impossible_page_number_is_404(api_client, users, page):
    response = api_client.get("/api/v1/_test/users", {"page": page})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "invalid_page"


@pytest.mark.parametrize("limit", [0, 3, 7, 100])
def test_the_bounded_count_agrees_with_djangos_count(users, settings, limit):
    from accounts.models import User
    from config.pagination import bounded_count

    settings.API_EXACT_COUNT_LIMIT = limit
    for queryset in (User.objects.all(), User.objects.filter(username__in=[u.username for u in users[:2]])):
        total = queryset.count()
        expected = (total, True) if total <= limit else (limit, False)
        assert bounded_count(queryset.order_by("-date_joined"), at_least=0) == expected


def test_a_list_that_matches_nothing_by_its_filters_alone_counts_zero(users):
    """``__in=[]`` compiles to no statement at all (Django's EmptyResultSet): counted as 0 without the database."""
    from accounts.models import User
    from config.pagination import bounded_count

    assert bounded_count(User.objects.filter(pk__in=[]), at_least=0) == (0, True)
