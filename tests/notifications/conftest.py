import pytest

from tests.notifications.webhook_server import WebhookServer


@pytest.fixture
def webhook_server():
    """A receiver on 127.0.0.1; tests that use it allow private addresses (``allow_local_webhooks``)."""
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def allow_local_webhooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    return settings
