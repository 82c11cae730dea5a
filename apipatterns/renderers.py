"""The success envelope as a DRF renderer: ``{"data": ..., "meta": {"request_id": ...}}``.

Views return plain data (``Response(serializer.data)``) and this renderer wraps it. Problem
responses (from the exception handler or :func:`apipatterns.error_response`) pass through as
they are; an error ``Response`` a view built by hand (``Response(serializer.errors, 400)``) is
turned into a problem too, so no error body ever escapes the convention.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import JSONRenderer

from apipatterns.problems import PROBLEM_CONTENT_TYPE, build_problem, flatten_errors
from shared_core.request_id import get_request_id


def _problem_from_data(status: int, data: Any) -> dict[str, Any]:
    if isinstance(data, dict) and set(data) <= {"detail", "code"} and "detail" in data:
        return build_problem(status, data.get("code"), data["detail"])
    errors = flatten_errors(data) if isinstance(data, dict | list) else []
    code = "validation_error" if status == 400 and errors else None
    return build_problem(status, code, None, errors)


class _ASCIIJSONRenderer(JSONRenderer):
    ensure_ascii = True


_ascii_renderer = _ASCIIJSONRenderer()


class EnvelopeJSONRenderer(JSONRenderer):
    """JSON renderer that wraps successful bodies in the envelope.

    Extra ``meta`` keys come from ``response.envelope_meta`` (pagination puts its page meta
    there as ``{"pagination": {...}}``).
    """

    def _dump(self, data: Any, media_type: str | None, context: dict[str, Any] | None) -> bytes:
        try:
            return super().render(data, media_type, context)
        except UnicodeEncodeError:
            # A lone surrogate ("\\ud800" in a JSON body) cannot be UTF-8: escape everything.
            return _ascii_renderer.render(data, media_type, context)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is None or getattr(response, "is_problem", False):
            return self._dump(data, accepted_media_type, renderer_context)
        status = response.status_code
        if status >= 400:
            response["Content-Type"] = PROBLEM_CONTENT_TYPE
            return self._dump(
                _problem_from_data(status, data), accepted_media_type, renderer_context
            )
        if status == 204 or status == 304:
            return b""
        meta = {"request_id": get_request_id()}
        extra = getattr(response, "envelope_meta", None)
        if extra:
            meta.update(extra)
        return self._dump({"data": data, "meta": meta}, accepted_media_type, renderer_context)
