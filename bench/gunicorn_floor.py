"""A WSGI application that answers every request with ``/health``'s bytes and nothing else.

``bench/stack_bench.py`` runs it under the services' gunicorn configuration
(``deploy/gunicorn.conf.py``, same workers and threads) as its ``floor`` row: what gunicorn alone
costs per request on the machine at hand, the figure ``/health`` (answered by
``healthchecks.wsgi.LivenessMiddleware``) is read against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: ``healthchecks.wsgi.LIVENESS_BODY`` (a test holds them equal); spelled out so that the floor
#: imports neither Django nor the suite and runs the same against any checkout.
LIVENESS_BODY = b'{"status": "ok", "checks": {}}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(LIVENESS_BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``200`` with the liveness body, whatever the request."""
    start_response("200 OK", HEADERS)
    return [LIVENESS_BODY]
