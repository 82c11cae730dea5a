"""Reading the envelope another service answered: the one place that knows where ``data`` is."""

from __future__ import annotations

from typing import Any

__all__ = ["unwrap"]


def unwrap(body: Any) -> dict[str, Any] | None:
    """The object a JSON answer carries: ``data`` of ``{"data": {...}, "meta": {...}}``, or the
    body itself when it is a bare object; ``None`` when that is not a JSON object."""
    data = body.get("data", body) if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None
