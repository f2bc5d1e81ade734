"""List endpoints cost a fixed number of queries, whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import Role
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

# Authentication (user, session) plus, for an organization's lists, membership, count and page.
SANE_BOUND = 6


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        (
            "/api/v1/organizations",
            lambda org, user: MembershipFactory(organization=OrganizationFactory(), user=user, role=Role.ADMIN),
        ),
        (
            "/api/v1/organizations/{organization_id}/members",
            lambda org, user: MembershipFactory(organization=org.organization),
        ),
        (
            "/api/v1/organizations/{organization_id}/invitations",
            lambda org, user: InvitationFactory(organization=org.organization, invited_by=user, accepted_by=user),
        ),
    ],
)
def test_list_queries_do_not_grow_with_the_page(org, client_for, django_assert_max_num_queries, url, grow):
    client = client_for(org.admin)
    url = url.format(organization_id=org.id)
    grow(org, org.admin)
    one = queries_for(client, f"{url}?page_size=1")
    assert one <= SANE_BOUND
    for _ in range(30):
        grow(org, org.admin)
    with django_assert_max_num_queries(one):
        response = client.get(f"{url}?page_size=50")
    assert len(response.json()["data"]) >= 30
