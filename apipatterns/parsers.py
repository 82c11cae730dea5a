"""Request body parsers that keep bad input a 4xx.

DRF's JSON and form parsers read the request stream directly, which skips Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` check (that lives in ``HttpRequest.body``), and ``json.loads``
raises ``RecursionError`` on deeply nested bodies. These parsers read at most the limit (413
``payload_too_large`` beyond it) and refuse nesting deeper than ``API_MAX_JSON_DEPTH`` (400
``parse_error``). Multipart uploads keep Django's parser, which enforces the limit itself.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.settings import api_settings

from apipatterns.conf import apipatterns_settings
from apipatterns.exceptions import MalformedBody, PayloadTooLarge

TOO_DEEP = _("The JSON body is nested too deeply.")


def read_limited(stream: Any, parser_context: dict[str, Any] | None) -> bytes:
    """Read the body, raising 413 when it is (or says it is) over the size limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {}) if request is not None else {}
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > limit:
        raise PayloadTooLarge()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge()
    return body


def _too_deep(data: Any, max_depth: int) -> bool:
    """Iterative depth check (no recursion, so it cannot overflow the stack itself)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _reject_constant(value: str) -> None:
    raise ValueError(f"{value} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a nesting limit and a generic error message."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = read_limited(stream, parser_context)
        try:
            text = body.decode(encoding)
            if api_settings.STRICT_JSON:
                data = json.loads(text, parse_constant=_reject_constant)
            else:
                data = json.loads(text)
        except RecursionError:
            raise MalformedBody(TOO_DEEP) from None
        except (ValueError, LookupError):
            raise MalformedBody() from None
        max_depth = apipatterns_settings.API_MAX_JSON_DEPTH
        if isinstance(data, dict | list) and _too_deep(data, max_depth):
            raise MalformedBody(TOO_DEEP)
        return data


class FormParser(parsers.FormParser):
    """DRF's url-encoded form parser with the body size limit."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> QueryDict:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(read_limited(stream, parser_context), encoding=encoding)
