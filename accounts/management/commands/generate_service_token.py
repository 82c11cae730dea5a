"""``manage.py generate_service_token``: print a new random 256-bit service token."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """``manage.py generate_service_token``: print a new service token."""

    help = (
        "Print a new random 256-bit service token (URL-safe). Give it to the calling service as "
        "SERVICE_AUTH_TOKEN and to the called service in ACCEPTED_SERVICE_TOKENS as name=token."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--name", help="Calling service name: also print the ACCEPTED_SERVICE_TOKENS entry."
        )

    def handle(self, *args: Any, name: str | None = None, **options: Any) -> None:
        token = secrets.token_urlsafe(32)  # 32 random bytes = 256 bits
        self.stdout.write(token)
        if name:
            self.stdout.write(f"ACCEPTED_SERVICE_TOKENS entry: {name}={token}")
