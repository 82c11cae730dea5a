"""One API convention for every service: envelopes, RFC 9457 errors, pagination, throttling.

Public functions (imported lazily, so importing the app does not load DRF before settings)::

    from apipatterns import (
        success_response, error_response, validate_request, validate_query,
        handle_exceptions, paginate,
    )
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "success_response": "apipatterns.responses",
    "error_response": "apipatterns.responses",
    "validate_request": "apipatterns.validation",
    "validate_query": "apipatterns.query",
    "handle_exceptions": "apipatterns.handlers",
    "paginate": "apipatterns.pagination",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'apipatterns' has no attribute {name!r}") from None
    return getattr(import_module(module), name)
