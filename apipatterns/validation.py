"""``validate_request``: run a DRF serializer and get the envelope's ``errors`` list back."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apipatterns.problems import flatten_errors


def validate_request(
    schema: type[serializers.BaseSerializer] | serializers.BaseSerializer,
    data: Any,
    *,
    context: dict[str, Any] | None = None,
    partial: bool = False,
) -> tuple[Any, list[dict[str, str]]]:
    """Validate ``data`` with a serializer class or instance.

    Returns ``(validated_data, [])`` when valid, else ``(None, errors)`` where ``errors`` is the
    envelope's list (``{"code", "detail", "pointer"}`` items, e.g. ``#/items/1/email``).
    In a DRF view, ``serializer.is_valid(raise_exception=True)`` gives the same 400 for free.
    """
    if isinstance(schema, type):
        serializer = schema(data=data, context=context or {}, partial=partial)
    else:
        serializer = schema
        serializer.initial_data = data
        for cached in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(cached, None)
    if serializer.is_valid():
        return serializer.validated_data, []
    return None, flatten_errors(serializer.errors)
