"""`make run`'s email backend (config.email): each email one line in the server's output, with its links, and
whole in a file; no MIME message printed."""

import logging

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def development_email(settings, tmp_path):
    settings.EMAIL_BACKEND = "config.email.DevelopmentEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def test_a_reset_email_is_one_line_with_its_link_and_a_file(
    api_client, development_email, caplog, capsys, django_capture_on_commit_callbacks
):
    user = UserFactory(email="dev@example.com")
    with caplog.at_level(logging.INFO, logger="config.email"), django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/auth/password/reset", {"email": user.email}).status_code == 202

    [record] = [r for r in caplog.records if r.name == "config.email"]
    line = record.getMessage()
    assert "\n" not in line
    assert line.startswith('Email to dev@example.com: "')
    assert " links: http://localhost:3000/" in line
    assert "token=" in line
    [saved] = list(development_email.iterdir())
    assert str(saved) in line
    message = saved.read_text()
    assert "Content-Type: multipart/alternative" in message
    assert "dev@example.com" in message
    out, err = capsys.readouterr()
    assert "Content-Type" not in out + err


def test_an_email_without_links_says_so_in_one_line(development_email, caplog):
    from django.core.mail import send_mail

    with caplog.at_level(logging.INFO, logger="config.email"):
        send_mail("Hello", "No link here.", "from@example.com", ["a@example.com", "b@example.com"])
    [record] = [r for r in caplog.records if r.name == "config.email"]
    assert record.getMessage().startswith('Email to a@example.com, b@example.com: "Hello" (saved in ')
