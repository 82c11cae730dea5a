"""``probe``: GET one of this service's own endpoints over loopback; exit 0 only on HTTP 200.

The container ``HEALTHCHECK`` runs ``python -m django probe /health`` because the slim image has
no curl. django-health-check's own ``health_check`` command does not fit a production container:
it sends ``Host: 127.0.0.1:PORT`` (refused unless listed in ``ALLOWED_HOSTS``) and switches to
https whenever ``SECURE_SSL_REDIRECT`` is on, while gunicorn behind the proxy speaks plain http.
This one sends the first concrete ``ALLOWED_HOSTS`` entry as ``Host`` and relies on
``SECURE_REDIRECT_EXEMPT`` (settings.prod exempts ``health`` and ``ready``).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def probe_host() -> str:
    """A ``Host`` header value this service accepts (first non-wildcard ``ALLOWED_HOSTS``)."""
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


class Command(BaseCommand):
    """``manage.py probe``: the container HEALTHCHECK, without curl."""

    help = "GET http://127.0.0.1:$PORT<path> (default /health); exit 0 on 200, 1 otherwise."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default="/health", help="Path (default /health).")
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port of the local server (default: $PORT or 8000).",
        )
        parser.add_argument(
            "--address", default="127.0.0.1", help="Address of the local server (127.0.0.1)."
        )
        parser.add_argument(
            "--timeout", type=float, default=5.0, help="Seconds to wait for the answer (5)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["path"]
        if not path.startswith("/"):
            raise CommandError(f"The path must start with '/', not {path!r}.")
        url = f"http://{options['address']}:{options['port']}{path}"
        request = urllib.request.Request(
            url, headers={"Host": probe_host(), "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=options["timeout"]) as response:  # noqa: S310
                status, body = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            self.stderr.write(f"{url} is not reachable: {getattr(e, 'reason', e)}")
            sys.exit(1)
        self.stdout.write(f"{status} {body.decode('utf-8', 'replace')[:2000]}")
        if status != 200:
            sys.exit(1)
