"""drf-spectacular postprocessing: the envelope and the problem schema on every operation.

Wired by ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "apipatterns.openapi.AutoSchema"`` and
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``. For every operation served by a view
that renders with the envelope, each 2xx JSON body schema ``S`` becomes
``{"data": S, "meta": ResponseMeta}`` (paginated lists already are envelopes: the pagination
classes describe them). Every operation gets ``application/problem+json`` ``Problem`` responses
for the errors any endpoint can give (400, 401, 403, 404, 406, 414, 429, 431, 500, 502, 503,
504) plus 409, 413 and 415 when it takes a body; error responses a view declared are re-pointed at
``Problem`` too, since that is what the handler sends.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi

from apipatterns.problems import PROBLEM_CONTENT_TYPE, status_title
from apipatterns.renderers import EnvelopeJSONRenderer

ENVELOPE_MARK = "x-apipatterns-envelope"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
META_REF = {"$ref": "#/components/schemas/ResponseMeta"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# 414 and 431 come from the server before the application sees the request (the container's
# gunicorn answers them as problem+json: deploy/gunicorn.conf.py); clients get them all the same.
COMMON_ERRORS = (400, 401, 403, 404, 406, 414, 429, 431, 500, 502, 503, 504)
BODY_ERRORS = (409, 413, 415)

PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One error: `pointer` (RFC 6901, into the body) or `parameter` (query).",
    "required": ["code", "detail"],
    "properties": {
        "code": {"type": "string", "example": "required"},
        "detail": {"type": "string", "example": "This field is required."},
        "pointer": {"type": "string", "example": "#/items/1/email"},
        "parameter": {"type": "string", "example": "page"},
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details (application/problem+json).",
    "required": ["type", "title", "status", "detail", "code", "request_id", "errors"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "The request contains invalid data."},
        "code": {
            "type": "string",
            "description": "Stable machine-readable code; never changes with the language.",
            "example": "validation_error",
        },
        "request_id": {"type": "string", "nullable": True, "description": "= X-Request-ID"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
        "retry_after": {"type": "integer", "description": "429 only: = Retry-After (seconds)"},
    },
}

RESPONSE_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["request_id"],
    "properties": {
        "request_id": {"type": "string", "nullable": True, "description": "= X-Request-ID"}
    },
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's ``AutoSchema`` that marks operations whose view renders the envelope.

    The mark (an ``x-`` key) tells :func:`envelope_postprocessing_hook` which 2xx bodies to
    wrap; the hook removes it again.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        renderers = getattr(self.view, "renderer_classes", ()) or ()
        if operation is not None and any(
            isinstance(r, type) and issubclass(r, EnvelopeJSONRenderer) for r in renderers
        ):
            operation[ENVELOPE_MARK] = True
        return operation

    def get_paginated_name(self, serializer_name: str) -> str:
        # Page-number and cursor envelopes differ: one component name each.
        from rest_framework.pagination import CursorPagination

        name = super().get_paginated_name(serializer_name)
        if isinstance(self._get_paginator(), CursorPagination):
            return f"Cursor{name}"
        return name


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": status_title(status),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
    }


def _wrap(schema: dict[str, Any], ready: set[str]) -> dict[str, Any]:
    if schema.pop(ENVELOPE_MARK, False) or schema.get("$ref") in ready:
        return schema
    return {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {"data": schema, "meta": META_REF},
    }


def envelope_postprocessing_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular ``POSTPROCESSING_HOOKS`` entry (see the module docstring)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemError"] = PROBLEM_ERROR_SCHEMA
    schemas["ResponseMeta"] = RESPONSE_META_SCHEMA
    # Paginated list components are envelopes already (see apipatterns.pagination).
    ready = {
        f"#/components/schemas/{name}"
        for name, component in schemas.items()
        if isinstance(component, dict) and component.pop(ENVELOPE_MARK, False)
    }

    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            enveloped = operation.pop(ENVELOPE_MARK, False)
            responses = operation.setdefault("responses", {})
            for status_key, response in responses.items():
                status = str(status_key)
                if status[:1] in "45":
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}
                elif status.startswith("2") and enveloped:
                    media = response.get("content", {}).get("application/json")
                    if media and "schema" in media:
                        media["schema"] = _wrap(media["schema"], ready)
            extra = COMMON_ERRORS + (BODY_ERRORS if "requestBody" in operation else ())
            for status in extra:
                responses.setdefault(str(status), _problem_response(status))
    return result
