"""Operator commands: safe to run again, and they never print secrets."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User


@pytest.mark.django_db
class TestEnsureSuperuser:
    def test_creates_once_and_never_prints_the_password(self, monkeypatch, capsys):
        monkeypatch.setenv("SUPERUSER_EMAIL", "Root@Example.com")
        monkeypatch.setenv("SUPERUSER_PASSWORD", "s3cret-Passw0rd-xyz")
        call_command("ensure_superuser")
        call_command("ensure_superuser")
        out = capsys.readouterr()
        assert "s3cret-Passw0rd-xyz" not in out.out + out.err
        user = User.objects.get()
        assert user.email == "root@example.com"
        assert user.is_superuser
        assert user.is_staff
        assert user.check_password("s3cret-Passw0rd-xyz")
        assert user.email_verified  # the operator vouches for the address

    def test_never_promotes_an_account_whose_address_is_not_verified(self, monkeypatch):
        """Someone registered the operator's address first: they must not become superuser by it."""
        from tests.factories import UserFactory

        squatter = UserFactory(email="root@example.com", unverified=True)
        monkeypatch.setenv("SUPERUSER_EMAIL", "root@example.com")
        monkeypatch.setenv("SUPERUSER_PASSWORD", "s3cret-Passw0rd-xyz")
        with pytest.raises(CommandError, match="not verified"):
            call_command("ensure_superuser")
        squatter.refresh_from_db()
        assert (squatter.is_superuser, squatter.is_staff) == (False, False)

    def test_promotes_an_existing_user_without_touching_the_password(self, monkeypatch, user):
        from tests.factories import DEFAULT_PASSWORD

        monkeypatch.setenv("SUPERUSER_EMAIL", user.email)
        monkeypatch.setenv("SUPERUSER_PASSWORD", "another-password-123")
        call_command("ensure_superuser")
        user.refresh_from_db()
        assert user.is_superuser
        assert user.check_password(DEFAULT_PASSWORD)

    def test_requires_the_environment(self, monkeypatch):
        monkeypatch.delenv("SUPERUSER_EMAIL", raising=False)
        monkeypatch.delenv("SUPERUSER_PASSWORD", raising=False)
        with pytest.raises(CommandError, match="SUPERUSER_EMAIL"):
            call_command("ensure_superuser")


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == first >= 5
    assert User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(email_verified_at=None).exists()  # demo people can be added by email
    assert "owner@demo.example" in capsys.readouterr().out


@pytest.mark.django_db
def test_wait_for_db_returns_when_the_database_answers(capsys):
    call_command("wait_for_db", timeout=5)
    assert "available" in capsys.readouterr().out


class FakeTime:
    """The command's clock and sleep: sleeping moves the clock, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch):
    from config.management.commands import wait_for_db

    fake = FakeTime()
    monkeypatch.setattr(wait_for_db.Command, "clock", staticmethod(fake.clock))
    monkeypatch.setattr(wait_for_db.Command, "sleep", staticmethod(fake.sleep))
    return fake


def _database_answering_after(monkeypatch, failures):
    """The default connection refuses ``failures`` times (None: always), then connects; counts the attempts."""
    from django.db import connections
    from django.db.utils import OperationalError

    connection = connections["default"]
    attempts = []

    def ensure_connection():
        attempts.append(1)
        if failures is None or len(attempts) <= failures:
            raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", ensure_connection)
    monkeypatch.setattr(connection, "close", lambda: None)
    return attempts


def test_wait_for_db_backs_off_exponentially_up_to_its_cap(monkeypatch, fake_time, capsys):
    attempts = _database_answering_after(monkeypatch, failures=6)
    call_command("wait_for_db", timeout=300, max_interval=20)
    assert fake_time.sleeps == [2, 4, 8, 16, 20, 20]
    assert len(attempts) == 7
    out = capsys.readouterr().out
    assert "retrying in 2s" in out
    assert "available" in out


def test_wait_for_db_gives_up_at_its_total_limit_after_a_last_attempt(monkeypatch, fake_time):
    attempts = _database_answering_after(monkeypatch, failures=None)
    with pytest.raises(CommandError, match="unavailable after 20s"):
        call_command("wait_for_db", timeout=20)
    # 2 + 4 + 8 = 14 s, then the wait is cut to the 6 s left: the last attempt is made at the limit.
    assert fake_time.sleeps == [2, 4, 8, 6]
    assert len(attempts) == 5
    assert fake_time.now == 1020.0


def test_wait_for_db_gives_up_on_a_database_that_never_answers(run_django):
    result = run_django(
        ["manage.py", "wait_for_db", "--timeout", "0.5", "--interval", "0.1"],
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    assert result.returncode != 0
    assert "unavailable" in result.stderr
