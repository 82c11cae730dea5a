"""Reading another service's API from a service: the envelope is this suite's convention.

``shared_core.http`` returns bodies as sent; the ``{"data": …, "meta": …}`` envelope that
:mod:`apipatterns` renders is unwrapped here, on the calling side.
"""

from __future__ import annotations

from typing import Any

from shared_core.http import HTTPClient, ServiceHTTPError

__all__ = ["get_resource"]


def get_resource(client: HTTPClient, path: str, **kwargs: Any) -> dict[str, Any] | None:
    """GET one resource from another service: the envelope's ``data`` object (or the bare JSON
    object), or ``None`` when the service answers 404.

    Any other failure (down, slow, 5xx, not JSON) raises the ``shared_core.http`` errors, which
    apipatterns turns into 502/503/504 problems.
    """
    try:
        body = client.get_json(path, **kwargs)
    except ServiceHTTPError as exc:
        if exc.status == 404:
            return None
        raise
    data = body.get("data", body) if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None
