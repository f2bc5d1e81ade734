"""The test settings' own logic: each pytest-xdist process on a Redis database of its own."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.test import _redis_url_of_this_process


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        ("", "redis://127.0.0.1:6379/15"),
        ("gw0", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379/14"),
        ("gw3", "redis://127.0.0.1:6379/12"),
    ],
)
def test_each_xdist_process_takes_a_redis_database_of_its_own(worker, expected):
    assert _redis_url_of_this_process("redis://127.0.0.1:6379/15", worker) == expected


def test_a_url_without_a_database_counts_from_zero_and_refuses_to_go_below():
    assert _redis_url_of_this_process("redis://cache:6379", "gw0") == "redis://cache:6379"
    with pytest.raises(ImproperlyConfigured):
        _redis_url_of_this_process("redis://cache:6379", "gw1")


def test_no_redis_stays_no_redis():
    assert _redis_url_of_this_process("", "gw1") == ""
