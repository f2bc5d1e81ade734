"""Expired OAuth codes and tokens do not pile up: they are a retention policy (``manage.py purge``, beat)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from oauth_server.models import AccessToken, Grant
from tests.factories import AccessTokenFactory, GrantFactory

pytestmark = pytest.mark.django_db


def purge(*args) -> str:
    out = StringIO()
    call_command("purge", "--only", "oauth_tokens", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def tokens():
    past = timezone.now() - timedelta(hours=1)
    return {
        "expired": [AccessTokenFactory(expires=past), GrantFactory(expires=past)],
        "live": [AccessTokenFactory(), GrantFactory()],
    }


def test_purge_clears_expired_codes_and_access_tokens_and_keeps_live_ones(tokens):
    assert "oauth_tokens: 2 codes and tokens removed" in purge()
    live_token, live_code = tokens["live"]
    assert set(AccessToken.objects.values_list("pk", flat=True)) == {live_token.pk}
    assert set(Grant.objects.values_list("pk", flat=True)) == {live_code.pk}


def test_a_dry_run_counts_and_keeps_them(tokens):
    assert "oauth_tokens: 2 codes and tokens would be removed" in purge("--dry-run")
    assert AccessToken.objects.count() == 2
    assert Grant.objects.count() == 2
