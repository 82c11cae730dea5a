"""Safe names and content types for uploads (pure functions, no I/O)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.file_service.files.models import StoredFile, stored_name
from services.file_service.files.uploads import (
    DEFAULT_CONTENT_TYPE,
    content_type_for,
    safe_original_name,
)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("evil\r\nSet-Cookie: x=1.txt", "evilSet-Cookie: x=1.txt"),
        ("\u202egnp.exe", "gnp.exe"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("dir/", "file"),
        ("été.png", "été.png"),
    ],
)
def test_safe_original_name(given_name, expected):
    assert safe_original_name(given_name) == expected


def test_long_names_keep_their_extension():
    name = safe_original_name("a" * 500 + ".tar")
    assert len(name) == 200 and name.endswith(".tar")


@given(st.text(max_size=400))
def test_safe_name_never_has_a_separator_control_character_or_is_empty(name):
    safe = safe_original_name(name)
    assert safe and len(safe) <= 200
    assert "/" not in safe and "\\" not in safe
    assert safe not in (".", "..")
    assert all(unicodedata.category(ch)[0] != "C" for ch in safe)
    assert "\n" not in safe and "\u2028" not in safe


@pytest.mark.parametrize(
    ("declared", "name", "expected"),
    [
        ("image/png", "x.bin", "image/png"),
        ("Text/Plain; charset=utf-8", "x", "text/plain"),
        ("not a type", "x.pdf", "application/pdf"),
        ("text/html\r\nX-Evil: 1", "x.unknownext", DEFAULT_CONTENT_TYPE),
        ("", "x.unknownext", DEFAULT_CONTENT_TYPE),
        (None, "photo.JPG", "image/jpeg"),
    ],
)
def test_content_type_for(declared, name, expected):
    assert content_type_for(declared, name) == expected


def test_stored_name_uses_nothing_the_client_sent():
    record = StoredFile(ticket_id="6f1c0a7e-1b0a-4c55-9a7a-5b9f5b2a8f11")
    first = stored_name(record, "../../../../etc/passwd")
    second = stored_name(record, "../../../../etc/passwd")
    assert first.startswith("tickets/6f1c0a7e-1b0a-4c55-9a7a-5b9f5b2a8f11/")
    assert ".." not in first and "passwd" not in first
    assert first != second
