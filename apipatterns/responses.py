"""``success_response`` and ``error_response``: the envelope built on purpose, in any view.

Both return DRF ``Response`` objects that also render outside DRF views (a plain Django view may
return them), because they carry the suite's renderer until DRF's content negotiation replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apipatterns.problems import PROBLEM_CONTENT_TYPE, Problem
from apipatterns.renderers import EnvelopeJSONRenderer

_RENDERER = EnvelopeJSONRenderer()


def _standalone(response: Response) -> Response:
    # DRF's finalize_response overwrites these inside an APIView; outside one they let
    # Django render the response directly.
    response.accepted_renderer = _RENDERER
    response.accepted_media_type = _RENDERER.media_type
    response.renderer_context = {}
    return response


class ProblemResponse(Response):
    """A DRF ``Response`` carrying an RFC 9457 problem (``application/problem+json``).

    The body is JSON whatever renderer the view negotiated: a view that renders YAML, CSV or
    HTML (the OpenAPI schema view, a browsable API) still sends its errors as problem+json.
    """

    is_problem = True

    def __init__(self, problem: Problem):
        super().__init__(
            problem.as_dict(),
            status=problem.status,
            headers=problem.response_headers(),
            content_type=PROBLEM_CONTENT_TYPE,
        )
        _standalone(self)

    @property
    def rendered_content(self) -> bytes:
        if not isinstance(getattr(self, "accepted_renderer", None), JSONRenderer):
            _standalone(self)
        return super().rendered_content


def success_response(
    data: Any, status: int = 200, meta: Mapping[str, Any] | None = None
) -> Response:
    """Return ``{"data": data, "meta": {"request_id": ..., **meta}}`` with ``status``."""
    response = Response(data, status=status)
    if meta:
        response.envelope_meta = dict(meta)  # type: ignore[attr-defined]
    return _standalone(response)


def error_response(
    status: int,
    code: str | None = None,
    detail: Any = None,
    errors: list[dict[str, Any]] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return a problem+json response, arguments in ``build_problem``'s order.

    ``code`` defaults to the status's code, ``detail`` to its generic message; ``errors`` are
    envelope items (``{"code", "detail", "pointer" | "parameter"}``). In a view, raising
    :class:`~apipatterns.exceptions.APIError` gives the same body.
    """
    return ProblemResponse(Problem(status, code, detail, errors, dict(headers or {})))
