"""Exceptions other apps raise to get a specific problem response.

They are DRF ``APIException`` subclasses, so DRF views handle them natively; the suite's exception
handler, middleware and ``@handle_exceptions`` turn them into problem+json everywhere else too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class APIError(APIException):
    """Base of the suite's API errors: a status, a stable ``code`` and optional ``errors`` items.

    Subclass it with ``status_code``, ``default_code`` and ``default_detail``, or raise it
    directly: ``raise APIError(_("Ticket is closed."), code="ticket_closed", status=409)``.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = _("The request is invalid.")

    def __init__(
        self,
        detail: Any = None,
        code: str | None = None,
        *,
        status: int | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail, code)
        if status is not None:
            self.status_code = status
        self.code = code or self.default_code
        self.errors = list(errors or [])
        self.headers = dict(headers or {})


class ConflictError(APIError):
    """409: the request conflicts with the current state (duplicate, stale version, ...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = _("The request conflicts with the current state of the resource.")


class RequestValidationError(APIError):
    """400 ``validation_error``: the body or the query string failed validation.

    ``errors`` lists every message, ``{"code", "detail", "pointer"}`` for the body or
    ``{"code", "detail", "parameter"}`` for a query parameter. Raised by
    :func:`~apipatterns.validation.validate_request` and :func:`~apipatterns.query.validate_query`.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"
    default_detail = _("The request contains invalid data.")


class InvalidParameter(RequestValidationError):
    """400 naming a query parameter: ``{"code", "detail", "parameter"}`` in ``errors``."""

    default_detail = _("A query parameter is invalid.")

    def __init__(self, parameter: str, message: Any, item_code: str = "invalid") -> None:
        super().__init__(
            errors=[{"code": item_code, "detail": str(message), "parameter": parameter}]
        )
        self.parameter = parameter

    @classmethod
    def merge(cls, problems: list[InvalidParameter]) -> InvalidParameter:
        """One 400 listing the items of every invalid parameter (``page`` and ``per_page``)."""
        merged = problems[0]
        for other in problems[1:]:
            merged.errors.extend(other.errors)
        return merged


class PayloadTooLarge(APIError):
    """413: the request body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = _("The request body is too large.")


class MalformedBody(APIError):
    """400 ``parse_error``: the body is not valid JSON (the detail never quotes the parser)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "parse_error"
    default_detail = _("The request body is not valid JSON.")
