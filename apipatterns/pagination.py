"""Pagination: page numbers (``page``, ``per_page``) and cursors; page meta in the envelope.

- Bad values (``page=abc|0|-1``, ``per_page=0|-5|abc``, a bad ``cursor``) are 400
  ``validation_error`` naming the parameter; ``per_page`` above the maximum is clamped and the
  meta says so (``"per_page": 100, "per_page_clamped": true``).
- A page past the end is a 200 with empty ``data`` (no query is made for it) whose ``previous``
  link is the last page (without ``COUNT(*)`` the last page is unknown: ``page - 1``); a page
  number of more than 18 digits is a 400 (``out_of_range``). Every bad parameter is named.
- ``PageNumberPagination`` runs one ``COUNT(*)`` and one ``SELECT``; ``NoCountPageNumberPagination``
  (or ``count=False``) skips the count, fetches one extra row to know ``has_next``, and reports
  ``total``/``total_pages`` as ``null``.
- ``CursorPagination`` (``next_cursor``, ``has_next``) for large ordered tables.
- :func:`paginate` does the page-number part for code outside DRF views.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apipatterns.conf import apipatterns_settings
from apipatterns.exceptions import InvalidParameter

DEFAULT_PAGE_SIZE = 20
MAX_DIGITS = 18
# Databases take OFFSET/LIMIT as signed 64-bit integers; anything past that is past the end.
_MAX_OFFSET = 2**63 - 1


def default_page_size() -> int:
    """``REST_FRAMEWORK["PAGE_SIZE"]`` (read at call time, so test overrides apply)."""
    return api_settings.PAGE_SIZE or DEFAULT_PAGE_SIZE


def max_page_size() -> int:
    """``API_MAX_PAGE_SIZE``: the largest ``per_page`` a client gets (larger values are clamped)."""
    return apipatterns_settings.API_MAX_PAGE_SIZE


def parse_positive_int(value: Any, parameter: str) -> int | None:
    """``None`` for a missing value; a positive int; else :class:`InvalidParameter` naming it."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidParameter(parameter, _("Must be a positive integer."))
    if isinstance(value, int):
        number = value
    else:
        text = str(value)
        # ASCII digits only: int() would also take " 3", "+3", "٣" and "1_000".
        if not (text.isascii() and text.isdigit()):
            raise InvalidParameter(parameter, _("Must be a positive integer."))
        if len(text.lstrip("0")) > MAX_DIGITS:
            raise InvalidParameter(parameter, _("Is too large."), item_code="out_of_range")
        number = int(text)
    if number < 1:
        raise InvalidParameter(parameter, _("Must be a positive integer."))
    return number


def resolve_per_page(value: Any, parameter: str = "per_page") -> tuple[int, bool]:
    """Return ``(per_page, clamped)``: the default when missing, the maximum when above it."""
    requested = parse_positive_int(value, parameter)
    if requested is None:
        return min(default_page_size(), max_page_size()), False
    limit = max_page_size()
    if requested > limit:
        return limit, True
    return requested, False


def paginate(
    query: Any,
    page: Any = None,
    per_page: Any = None,
    *,
    count: bool = True,
) -> tuple[list[Any], dict[str, Any]]:
    """Return ``(items, pagination_meta)`` for page ``page`` of a queryset or sequence.

    ``page``/``per_page`` may be ints, strings straight from the query string, or ``None``
    (first page, default size). Bad values raise :class:`InvalidParameter` (a 400 naming the
    parameter). ``count=False`` skips ``COUNT(*)``.
    """
    page_number, size, clamped = _page_and_size(page, per_page)
    offset = (page_number - 1) * size
    meta: dict[str, Any] = {
        "page": page_number,
        "per_page": size,
        "per_page_clamped": clamped,
        "total": None,
        "total_pages": None,
        "has_next": False,
        "has_previous": page_number > 1,
    }
    if count:
        total = query.count() if _is_queryset(query) else len(query)
        meta["total"] = total
        meta["total_pages"] = math.ceil(total / size)
        if offset >= total:
            return [], meta  # past the end: no query for a page that cannot have rows
        items = list(query[offset : offset + size])
        meta["has_next"] = offset + size < total
        return items, meta
    if offset + size + 1 > _MAX_OFFSET:
        return [], meta
    items = list(query[offset : offset + size + 1])
    meta["has_next"] = len(items) > size
    return items[:size], meta


def _page_and_size(page: Any, per_page: Any) -> tuple[int, int, bool]:
    """Parse both parameters; when both are bad, the 400 names both."""
    invalid: list[InvalidParameter] = []
    page_number, size, clamped = 1, 0, False
    try:
        page_number = parse_positive_int(page, "page") or 1
    except InvalidParameter as exc:
        invalid.append(exc)
    try:
        size, clamped = resolve_per_page(per_page)
    except InvalidParameter as exc:
        invalid.append(exc)
    if invalid:
        raise InvalidParameter.merge(invalid)
    return page_number, size, clamped


def _is_queryset(query: Any) -> bool:
    return hasattr(query, "count") and not isinstance(query, Sequence)


_PAGINATION_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "page": {"type": "integer", "example": 1},
        "per_page": {"type": "integer", "example": 20},
        "per_page_clamped": {"type": "boolean"},
        "total": {"type": "integer", "nullable": True, "example": 42},
        "total_pages": {"type": "integer", "nullable": True, "example": 3},
        "has_next": {"type": "boolean"},
        "has_previous": {"type": "boolean"},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
    },
    "required": ["page", "per_page", "has_next", "has_previous"],
}

_CURSOR_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "per_page": {"type": "integer", "example": 20},
        "per_page_clamped": {"type": "boolean"},
        "next_cursor": {"type": "string", "nullable": True},
        "previous_cursor": {"type": "string", "nullable": True},
        "has_next": {"type": "boolean"},
        "has_previous": {"type": "boolean"},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
    },
    "required": ["per_page", "next_cursor", "has_next"],
}


def envelope_schema(data_schema: dict[str, Any], pagination_schema: dict[str, Any]) -> dict:
    """OpenAPI schema of a paginated envelope (marked so the postprocessing hook keeps it)."""
    return {
        "type": "object",
        "x-apipatterns-envelope": True,
        "required": ["data", "meta"],
        "properties": {
            "data": data_schema,
            "meta": {
                "type": "object",
                "required": ["request_id", "pagination"],
                "properties": {
                    "request_id": {"type": "string", "nullable": True},
                    "pagination": pagination_schema,
                },
            },
        },
    }


def _paginated_response(data: Any, meta: dict[str, Any]) -> Response:
    response = Response(data)
    response.envelope_meta = {"pagination": meta}  # type: ignore[attr-defined]
    return response


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=2&per_page=50``; one ``COUNT(*)`` unless ``count = False``."""

    page_query_param = "page"
    page_size_query_param = "per_page"
    count = True

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.request = request
        params = request.query_params
        items, meta = paginate(
            queryset,
            params.get(self.page_query_param),
            params.get(self.page_size_query_param),
            count=self.count,
        )
        url = request.build_absolute_uri()
        page, size_param = meta["page"], self.page_size_query_param
        meta["next"] = (
            replace_query_param(url, self.page_query_param, page + 1) if meta["has_next"] else None
        )
        previous = page - 1
        if meta["total_pages"] is not None and page > max(meta["total_pages"], 1):
            # Past the end: "previous" is the last page that exists, not page - 1.
            previous = max(meta["total_pages"], 1)
        if previous < 1:
            meta["previous"] = None
        elif previous == 1:
            meta["previous"] = remove_query_param(url, self.page_query_param)
        else:
            meta["previous"] = replace_query_param(url, self.page_query_param, previous)
        if meta["per_page_clamped"]:
            # Links carry the size the client actually gets.
            for key in ("next", "previous"):
                if meta[key]:
                    meta[key] = replace_query_param(meta[key], size_param, meta["per_page"])
        self.meta = meta
        return items

    def get_paginated_response(self, data: Any) -> Response:
        return _paginated_response(data, self.meta)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return envelope_schema(schema, _PAGINATION_META_SCHEMA)

    def get_page_size(self, request: Any) -> int:
        return resolve_per_page(request.query_params.get(self.page_size_query_param))[0]


class NoCountPageNumberPagination(PageNumberPagination):
    """Page numbers without ``COUNT(*)`` (large tables): ``total`` and ``total_pages`` are null."""

    count = False


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors over an ordered queryset (``?cursor=...&per_page=50``).

    Set ``ordering`` on the view or a subclass to a unique, indexed ordering; the default suits
    models built on ``shared_core.models.BaseModel``.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "per_page"
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        try:
            size, self.per_page_clamped = resolve_per_page(
                request.query_params.get(self.page_size_query_param)
            )
        except InvalidParameter as bad_size:
            # Name a bad cursor too, in the same answer.
            invalid = [bad_size]
            try:
                self.decode_cursor(request)
            except InvalidParameter as bad_cursor:
                invalid.append(bad_cursor)
            raise InvalidParameter.merge(invalid) from None
        self.page_size = size
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Any) -> int:
        return resolve_per_page(request.query_params.get(self.page_size_query_param))[0]

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise InvalidParameter(self.cursor_query_param, _("Invalid cursor.")) from None

    def _cursor_of(self, link: str | None) -> str | None:
        if not link:
            return None
        values = parse_qs(urlsplit(link).query).get(self.cursor_query_param)
        return values[0] if values else None

    def get_paginated_response(self, data: Any) -> Response:
        next_link, previous_link = self.get_next_link(), self.get_previous_link()
        meta = {
            "per_page": self.page_size,
            "per_page_clamped": self.per_page_clamped,
            "next_cursor": self._cursor_of(next_link),
            "previous_cursor": self._cursor_of(previous_link),
            "has_next": bool(self.has_next),
            "has_previous": bool(self.has_previous),
            "next": next_link,
            "previous": previous_link,
        }
        return _paginated_response(data, meta)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return envelope_schema(schema, _CURSOR_META_SCHEMA)
