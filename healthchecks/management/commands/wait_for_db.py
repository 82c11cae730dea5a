"""``wait_for_db``: wait, for a bounded time, until every database accepts connections.

The container entrypoint runs it before it execs the server, so replicas started together with
their database do not crash-loop while it boots. It never migrates: migrations are a separate
one-shot step (``python -m django migrate``).

Its progress goes through the ``healthchecks.wait_for_db`` logger, so it is written in the
service's log format (one JSON object per line under ``LOG_FORMAT=json``) like every other line
the container prints; giving up is logged as an error and exits with status 1.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from healthchecks.checks import safe_message

logger = logging.getLogger("healthchecks.wait_for_db")


def _try_connect(alias: str, timeout: float) -> str | None:
    """Open and close one connection to ``alias``; return why it failed, or ``None``.

    The attempt runs in a daemon thread joined for at most ``timeout`` seconds: a database
    host that drops packets would otherwise hang the driver's connect for minutes.
    """
    outcome: list[str | None] = []

    def attempt() -> None:
        connection = connections[alias]
        try:
            connection.ensure_connection()
            outcome.append(None)
        except Exception as e:  # DatabaseError, or a driver error outside Django's wrapping
            first_line = (str(e).strip().splitlines() or [""])[0]
            outcome.append(safe_message(f"{type(e).__name__}: {first_line}"))
        finally:
            connection.close()

    thread = threading.Thread(target=attempt, name=f"wait_for_db-{alias}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return f"no answer within {timeout:g} s"
    return outcome[0] if outcome else "unknown error"


class Command(BaseCommand):
    """``manage.py wait_for_db``: the entrypoint's bounded wait for the database."""

    help = (
        "Wait until the database(s) accept connections, for at most --timeout seconds; "
        "exit 1 if they do not."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            action="append",
            dest="databases",
            help="Database alias to wait for (repeatable; default: every alias in DATABASES).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Seconds to wait in total before giving up (default: 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between two attempts (default: 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        timeout: float = options["timeout"]
        interval: float = options["interval"]
        if timeout <= 0 or interval <= 0:
            raise CommandError("--timeout and --interval must be positive numbers of seconds.")
        aliases: list[str] = options["databases"] or list(connections)
        unknown = sorted(set(aliases) - set(connections))
        if unknown:
            raise CommandError(f"Unknown database alias(es): {', '.join(unknown)}")

        deadline = time.monotonic() + timeout
        for alias in aliases:
            attempts = 0
            while True:
                attempts += 1
                remaining = deadline - time.monotonic()
                reason = _try_connect(alias, max(remaining, 0.1))
                if reason is None:
                    logger.info("Database %r is up (attempt %d).", alias, attempts)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.error(
                        "Database %r is not reachable after %g s (%d attempt(s); last error: %s).",
                        alias,
                        timeout,
                        attempts,
                        reason,
                    )
                    sys.exit(1)
                logger.log(
                    logging.INFO if options["verbosity"] >= 2 else logging.DEBUG,
                    "Database %r not ready yet: %s",
                    alias,
                    reason,
                )
                time.sleep(min(interval, remaining))
