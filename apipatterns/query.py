"""``validate_query``: check a view's query parameters with a DRF serializer.

A bad value is a 400 ``validation_error`` whose ``errors`` items name the parameter
(``{"code", "detail", "parameter"}``), never a silently ignored filter.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apipatterns.exceptions import InvalidParameter, RequestValidationError
from apipatterns.problems import flatten_errors


def validate_query(
    schema: type[serializers.BaseSerializer],
    query_params: Any,
    *,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate ``request.query_params`` with a serializer class; return its validated data.

    Raises :class:`~apipatterns.exceptions.RequestValidationError` (400) listing each bad
    parameter, as :func:`~apipatterns.validation.validate_request` does for a body.
    """
    serializer = schema(data=query_params, context=context or {})
    if serializer.is_valid():
        return dict(serializer.validated_data)
    raise RequestValidationError(
        InvalidParameter.default_detail,
        errors=flatten_errors(serializer.errors, parameters=True),
    )
