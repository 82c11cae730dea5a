"""``validate_query``: check a view's query parameters with a DRF serializer.

A bad value is a 400 ``validation_error`` whose ``errors`` items name the parameter
(``{"code", "detail", "parameter"}``), never a silently ignored filter. Parameters the serializer
does not declare (the pagination's, for instance) are left alone, as DRF leaves unknown keys.

A request without a query string is the common case: when the serializer provably turns no
parameters into ``{}`` (DRF's own serializer hooks and field classes, every field optional without
a default, no serializer-level validators), that answer is returned without building it.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.http import QueryDict
from rest_framework import fields, serializers

from apipatterns.exceptions import InvalidParameter, RequestValidationError
from apipatterns.problems import flatten_errors

#: The methods and properties that decide what ``is_valid()`` does with the data as a whole.
_SERIALIZER_HOOKS = (
    "__init__",
    "get_fields",
    "fields",
    "get_validators",
    "is_valid",
    "run_validation",
    "validate_empty_values",
    "to_internal_value",
    "run_validators",
    "validate",
    "validated_data",
    "errors",
)
#: serializer class -> whether an empty query string validates to ``{}``.
_NOTHING_FROM_NOTHING: WeakKeyDictionary[type, bool] = WeakKeyDictionary()


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
    no_parameters = isinstance(query_params, QueryDict) and not query_params
    if no_parameters and validates_nothing_to_empty(schema):
        return {}
    serializer = schema(data=query_params, context=context or {})
    if serializer.is_valid():
        return dict(serializer.validated_data)
    raise RequestValidationError(
        InvalidParameter.default_detail,
        errors=flatten_errors(serializer.errors, parameters=True),
    )


def validates_nothing_to_empty(schema: type[serializers.BaseSerializer]) -> bool:
    """Whether ``schema(data=QueryDict()).validated_data`` is ``{}`` whatever the context.

    True only for a ``Serializer`` that keeps DRF's hooks (no ``validate``, ``__init__`` or
    ``get_fields`` of its own, no ``Meta.validators``) and whose writable fields are DRF's own
    classes that skip a missing value (``get_value`` of an empty query string is ``empty``,
    ``run_validation(empty)`` raises ``SkipField``). Decided once per class.
    """
    known = _NOTHING_FROM_NOTHING.get(schema)
    if known is None:
        known = _NOTHING_FROM_NOTHING[schema] = _decide(schema)
    return known


def _decide(schema: type[serializers.BaseSerializer]) -> bool:
    if not (isinstance(schema, type) and issubclass(schema, serializers.Serializer)):
        return False
    base = serializers.Serializer
    if any(getattr(schema, name) is not getattr(base, name) for name in _SERIALIZER_HOOKS):
        return False
    probe = schema(data=QueryDict())
    if probe.validators:
        return False
    nothing = QueryDict()
    for field in probe.fields.values():
        if field.read_only:
            continue
        # A subclass may read the context or the request: only DRF's own rules are known.
        if type(field).__module__ != fields.__name__ or field.required:
            return False
        if field.get_value(nothing) is not fields.empty:
            return False  # e.g. BooleanField (False) or MultipleChoiceField ([]) on a QueryDict
        try:
            field.run_validation(fields.empty)
        except fields.SkipField:
            continue
        except Exception:  # any other outcome: let the serializer decide
            return False
        return False  # a default (then ``validate_<name>`` runs too)
    return True
