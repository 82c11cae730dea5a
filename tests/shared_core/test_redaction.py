"""Secrets never reach a log line: headers, tokens, passwords, cookies, extras."""

import json
import logging

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shared_core import redaction
from shared_core.redaction import REDACTED, redact_mapping, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer s3cr3t-token", "s3cr3t-token"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ("login failed password=hunter2 user=bob", "hunter2"),
        ('{"password": "hunter2", "email": "a@b.c"}', "hunter2"),
        ('{"access_token": "abc.def.ghi"}', "abc.def.ghi"),
        ("Cookie: sessionid=abcdef; csrftoken=123", "abcdef"),
        ("GET /callback?token=t0ps3cret&page=2", "t0ps3cret"),
        ("X-Api-Key: key-material", "key-material"),
    ],
)
def test_redact_text_removes_the_secret(text, secret):
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_redact_text_keeps_harmless_text():
    assert redact_text("created ticket 42 for bob@example.com") == (
        "created ticket 42 for bob@example.com"
    )
    assert "page=2" in redact_text("GET /callback?token=abc&page=2")


# Text made of the words the patterns look for, their separators, other case forms and a few
# letters that only Unicode case folding relates to ASCII (long s ~ "s", Kelvin sign ~ "k").
_FRAGMENTS = st.sampled_from(
    ["Authorization", "Proxy-", "Bearer ", "basic", "Set-Cookie", "cookie", "PassWord", "passwd",
     "secret", "TOKEN", "api_key", "Api-Key", "sessionid", "session_key", "csrf", "x-", "=", ": ",
     "'", '"', ";", ",", "&", "}", " ", "\n", "abc", "42", "\u017fecret", "\u212aey", "é",
     "user=bob"]
)  # fmt: skip


@given(st.lists(_FRAGMENTS | st.text(max_size=3), max_size=12).map("".join))
@example("\u017fecret=abc")  # the substitutions redact it: no ASCII word, but not ASCII either
def test_the_shortcut_for_text_without_secret_words_changes_nothing(text):
    # Most lines hold none of the words and skip the three substitutions: same result as them.
    assert redact_text(text) == redaction._substitute(text)


def test_redact_mapping_redacts_nested_sensitive_keys():
    headers = {
        "Authorization": "Bearer abc",
        "Accept": "application/json",
        "body": {"password": "x", "name": "n", "items": [{"token": "t"}]},
    }
    redacted = redact_mapping(headers)
    assert redacted["Authorization"] == REDACTED
    assert redacted["Accept"] == "application/json"
    assert redacted["body"]["password"] == REDACTED
    assert redacted["body"]["name"] == "n"
    assert redacted["body"]["items"][0]["token"] == REDACTED


def test_password_and_token_are_redacted_in_real_log_lines(log_output):
    stream = log_output("json")
    log = logging.getLogger("accounts")
    log.info("login attempt with password=%s", "hunter2")
    log.info("calling", extra={"headers": {"Authorization": "Bearer tok-999"}, "token": "tok-1"})
    log.info("raw %s", "Authorization: Bearer tok-777")
    output = stream.getvalue()
    for secret in ("hunter2", "tok-999", "tok-1", "tok-777"):
        assert secret not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[1]["headers"]["Authorization"] == REDACTED
    assert lines[1]["token"] == REDACTED


def test_text_log_lines_are_redacted_too(log_output):
    stream = log_output("text")
    logging.getLogger("x").warning("Cookie: sessionid=abc123")
    assert "abc123" not in stream.getvalue()
