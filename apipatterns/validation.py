"""``validate_request``: run a DRF serializer on a request body; invalid data raises.

Like DRF's ``serializer.is_valid(raise_exception=True)``, an invalid body raises
:class:`~apipatterns.exceptions.RequestValidationError`, which every error path (DRF views,
``@handle_exceptions``, the middleware) renders as the 400 ``validation_error`` problem with one
``{"code", "detail", "pointer"}`` item per message (e.g. ``#/items/1/email``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apipatterns.exceptions import RequestValidationError
from apipatterns.problems import flatten_errors


def validate_request(
    schema: type[serializers.BaseSerializer] | serializers.BaseSerializer,
    data: Any,
    *,
    context: dict[str, Any] | None = None,
    partial: bool = False,
) -> Any:
    """Validate ``data`` with a serializer class or instance and return its validated data.

    Raises :class:`~apipatterns.exceptions.RequestValidationError` (400) listing each error.
    """
    if isinstance(schema, type):
        serializer = schema(data=data, context=context or {}, partial=partial)
    else:
        serializer = schema
        serializer.initial_data = data
        for cached in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(cached, None)
    if serializer.is_valid():
        return serializer.validated_data
    raise RequestValidationError(errors=flatten_errors(serializer.errors))
