import pytest


@pytest.fixture
def hooks(org, client_for):
    """The API as an admin of ``org`` uses it: ``hooks.create(url=...)`` answers the new endpoint, with its secret."""

    class Hooks:
        client = client_for(org.admin)
        base = f"/api/v1/organizations/{org.id}/webhooks"

        def create(self, **fields):
            body = {"events": ["*"], **fields}
            response = self.client.post(self.base, body, format="json")
            assert response.status_code == 201, response.content
            return response.json()

        def url(self, endpoint_id, tail=""):
            return f"{self.base}/{endpoint_id}{tail}"

    return Hooks()
