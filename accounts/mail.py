"""The development outbox's email backend (``EMAIL_URL=filemail://``).

Django's file backend names a connection's file after the second and the connection object's
``id()``; a new connection per message (what ``send_mail`` does) can reuse a freed ``id()`` within
the same second, and then two messages share one file whose time is the later one's, so
``manage.py outbox`` could not tell which is newer. This backend names each connection's file after
the time to the microsecond plus a random suffix: one file per connection, in sending order.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from django.core.mail.backends import filebased

__all__ = ["OutboxEmailBackend"]


class OutboxEmailBackend(filebased.EmailBackend):
    """Django's file backend, one uniquely named, time-ordered file per connection."""

    def open(self) -> bool:
        """Open this connection's own file (``<UTC time to the µs>-<random>.log``)."""
        if self.stream is not None:
            return False
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.log"
        self.stream = (Path(self.file_path) / name).open("ab")
        return True
