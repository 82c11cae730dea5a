"""Fixtures for the BaseModel / soft-delete tests (models live in the tests-only app)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.dispatch import Signal

from tests.softdelete.models import Author, Book, Chapter


@pytest.fixture
def author(db) -> Author:
    return Author.objects.create(name="Ada", email="ada@example.com")


@pytest.fixture
def library(author) -> dict[str, Any]:
    """One author, two books, two chapters per book."""
    books = [Book.objects.create(author=author, title=f"Book {i}") for i in range(2)]
    chapters = [
        Chapter.objects.create(book=book, title=f"{book.title} / {j}")
        for book in books
        for j in range(2)
    ]
    return {"author": author, "books": books, "chapters": chapters}


@pytest.fixture
def record_signal() -> Iterator[Callable[..., list[dict[str, Any]]]]:
    """Connect a receiver to a signal for the test; return the list of calls it records."""
    connected: list[tuple[Signal, Callable[..., None], type | None]] = []

    def connect(signal: Signal, sender: type | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []

        def receiver(**kwargs: Any) -> None:
            calls.append(kwargs)

        signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver, sender))
        return calls

    yield connect
    for signal, receiver, sender in connected:
        assert signal.disconnect(receiver, sender=sender)
