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
