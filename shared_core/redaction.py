"""Redaction of secrets (credentials, tokens, passwords, cookies) from text and mappings.

Used by the logging filter and by anything that logs headers or payloads, so that secrets never
reach a log line whatever path they take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Key names whose values are secret wherever they appear (headers, JSON, form data, extras).
_SENSITIVE_KEY = re.compile(
    r"(authorization|password|passwd|secret|token|api[_-]?key|cookie|session[_-]?(id|key)|csrf)",
    re.IGNORECASE,
)

# "Authorization: Bearer abc", "'authorization': 'Basic abc'", "Proxy-Authorization=Token abc".
_AUTH_HEADER = re.compile(
    r"(?P<key>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?P<scheme>bearer|basic|token|digest)\s+)?(?P<value>[^\s\"',;}]+)",
    re.IGNORECASE,
)
# "Cookie: a=b; c=d" and "Set-Cookie: sessionid=...": the whole header value is secret.
_COOKIE_HEADER = re.compile(
    r"(?P<key>\b(?:set-)?cookie\b[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\"'\n]+)", re.IGNORECASE
)
# "password=hunter2", "\"access_token\": \"abc\"", "api-key: abc", "sessionid=abc".
_KEY_VALUE = re.compile(
    r"(?P<key>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|session[_-]?(?:id|key)|csrf)"
    r"[\w-]*[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]+)",
    re.IGNORECASE,
)


def is_sensitive_key(key: str) -> bool:
    """Tell whether a header, field or extra named ``key`` holds a secret."""
    return bool(_SENSITIVE_KEY.search(key))


def _may_hold_secret(text: str) -> bool:
    # Every pattern above needs one of the words below; most log lines have none. ASCII text
    # only: the patterns ignore case the Unicode way (the long s, U+017F, matches "s"),
    # str.lower() does not.
    if not text.isascii():
        return True
    lowered = text.lower()
    # One test per word, spelled out (no generator): this runs on every log line.
    return (
        "token" in lowered
        or "passw" in lowered
        or "secret" in lowered
        or "key" in lowered
        or "session" in lowered
        or "cookie" in lowered
        or "authorization" in lowered
        or "csrf" in lowered
    )


def redact_text(text: str) -> str:
    """Return ``text`` with credential, cookie, token and password values replaced."""
    if not text or not _may_hold_secret(text):
        return text
    return _substitute(text)


def _substitute(text: str) -> str:
    def keep_scheme(match: re.Match[str]) -> str:
        scheme = match.group("scheme")
        return f"{match.group('key')}{scheme + ' ' if scheme else ''}{REDACTED}"

    text = _AUTH_HEADER.sub(keep_scheme, text)
    text = _COOKIE_HEADER.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
    return _KEY_VALUE.sub(lambda m: f"{m.group('key')}{REDACTED}", text)


def redact_value(key: str, value: Any) -> Any:
    """Redact ``value`` if ``key`` names a secret; recurse into mappings and sequences."""
    if is_sensitive_key(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, list | tuple):
        return type(value)(redact_value("", item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``mapping`` (headers, a JSON body) with secret values redacted."""
    return {key: redact_value(str(key), value) for key, value in mapping.items()}
