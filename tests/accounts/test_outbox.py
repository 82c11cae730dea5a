"""``manage.py outbox``: the development outbox of the file email backend."""

from __future__ import annotations

import io
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command


@pytest.fixture
def outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "accounts.mail.OutboxEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_lists_the_newest_messages_with_their_bodies(outbox):
    for index in range(3):
        mail.send_mail(f"Subject {index}", f"Body {index}", "a@example.com", [f"u{index}@x.org"])
        time.sleep(0.02)  # file timestamps are coarse (a few ms): one message per tick
    text = run("--last", "2")
    assert "Subject 0" not in text
    assert "Subject 1" in text and "Body 2" in text and "To:      u2@x.org" in text


def test_filters_by_recipient_and_prints_links(outbox):
    mail.send_mail(
        "Reset", "Go to https://front.example/reset/abc-123 now.", "a@x.org", ["ann@x.org"]
    )
    mail.send_mail("Other", "https://front.example/other", "a@x.org", ["bob@x.org"])
    assert run("--to", "ANN@x.org", "--links").splitlines() == [
        "https://front.example/reset/abc-123"
    ]


def test_an_empty_outbox_says_so(outbox):
    assert "has no messages" in run()


def test_refuses_when_mail_does_not_go_to_files(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with pytest.raises(CommandError, match="not the file backend"):
        run()
