"""Expired codes and tokens do not pile up: beat runs django-oauth-toolkit's cleanup every hour."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from oauth_server import tasks
from oauth_server.models import AccessToken, Grant
from tests.factories import AccessTokenFactory, GrantFactory

pytestmark = pytest.mark.django_db


def test_beat_clears_expired_codes_and_access_tokens_and_keeps_live_ones():
    past = timezone.now() - timedelta(hours=1)
    expired_token, live_token = AccessTokenFactory(expires=past), AccessTokenFactory()
    expired_code, live_code = GrantFactory(expires=past), GrantFactory()

    tasks.clear_expired_tokens.delay()

    assert set(AccessToken.objects.values_list("pk", flat=True)) == {live_token.pk}
    assert set(Grant.objects.values_list("pk", flat=True)) == {live_code.pk}
    assert not AccessToken.objects.filter(pk=expired_token.pk).exists()
    assert not Grant.objects.filter(pk=expired_code.pk).exists()


def test_it_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-oauth-tokens"]
    assert entry["task"] == "oauth_server.tasks.clear_expired_tokens"
