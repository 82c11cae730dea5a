"""``manage.py outbox``: read the development outbox (``EMAIL_URL=filemail://``).

The demo stack never prints mail into its logs (a reset link is a live token); the file backend
(``accounts.mail.OutboxEmailBackend``) writes each message under ``EMAIL_FILE_PATH`` instead, and
this command shows the newest ones on the terminal of whoever asks: ``manage.py outbox`` (the
last 5), ``--last N``, ``--to EMAIL`` (only messages to that address), ``--links`` (only the
links in each body).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends import filebased
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from accounts.conf import accounts_settings

_LINK = re.compile(r"https?://[^\s<>\"']+")
# Django's file backend separates the messages of one file with a line of 79 dashes.
_SEPARATOR = re.compile(r"^-{79}$", re.M)


def read_outbox(directory: Path) -> list[EmailMessage]:
    """Every message in the outbox directory, oldest first."""
    messages: list[EmailMessage] = []
    files = sorted(
        (path for path in directory.glob("*.log") if path.is_file()),
        key=lambda path: (path.stat().st_mtime_ns, path.name),
    )
    for path in files:
        for chunk in _SEPARATOR.split(path.read_text(encoding="utf-8", errors="replace")):
            if chunk.strip():
                parsed = email.message_from_string(chunk.lstrip("\n"), policy=email.policy.default)
                messages.append(parsed)  # type: ignore[arg-type]
    return messages


def body_text(message: EmailMessage) -> str:
    """The plain-text body (the HTML one if there is no plain text)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


class Command(BaseCommand):
    """Print the newest outbox messages (or only their links)."""

    help = "Show the newest messages of the development outbox (EMAIL_URL=filemail://)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--last", type=int, default=5, help="how many messages (default 5)")
        parser.add_argument("--to", default="", help="only messages sent to this address")
        parser.add_argument("--links", action="store_true", help="print only the links")

    def handle(self, *args: Any, **options: Any) -> None:
        if not issubclass(import_string(settings.EMAIL_BACKEND), filebased.EmailBackend):
            raise CommandError(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, not the file backend: there is no "
                "outbox to read (set EMAIL_URL=filemail:// for one)."
            )
        if not accounts_settings.EMAIL_FILE_PATH:
            raise CommandError("EMAIL_FILE_PATH is not set: there is no outbox to read.")
        directory = Path(accounts_settings.EMAIL_FILE_PATH)
        messages = read_outbox(directory) if directory.is_dir() else []
        wanted = options["to"].strip().lower()
        if wanted:
            messages = [m for m in messages if wanted in str(m.get("To", "")).lower()]
        messages = messages[-max(options["last"], 0) :] if options["last"] else []
        if not messages:
            self.stdout.write(f"The outbox ({directory}) has no messages.")
            return
        for message in messages:
            body = body_text(message)
            if options["links"]:
                for link in _LINK.findall(body):
                    self.stdout.write(link)
                continue
            self.stdout.write(f"Date:    {message.get('Date', '')}")
            self.stdout.write(f"To:      {message.get('To', '')}")
            self.stdout.write(f"Subject: {message.get('Subject', '')}")
            self.stdout.write("")
            self.stdout.write(body.rstrip())
            self.stdout.write("-" * 79)
