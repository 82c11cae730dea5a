"""Property tests for the soft-delete invariant of ``shared_core.models`` (hypothesis).

A rule-based state machine applies any sequence of create / soft delete (instance and queryset) /
restore (instance and queryset) / hard delete / "delete then restore" to two parent-child
structures of the tests-only app — a self-referencing ``Node`` tree and Author -> Book -> Chapter
with a ``Tag`` many-to-many and a ``SET_NULL`` ``Review`` — and keeps a plain-Python model of what
must be visible. After every step it checks, against the real database:

- default managers, ``deleted()``, ``with_deleted()`` and ``all_objects`` show exactly the expected
  rows: a deleted row never appears through ``objects``;
- related managers (reverse FK, both sides of the M2M), ``prefetch_related`` and
  ``with_deleted()`` on a related manager show exactly the expected rows, scoped to their parent;
- a soft delete never applies ``SET_NULL``; a hard delete does;
- ``delete()``/``restore()`` return Django's ``(count, {label: count})`` for exactly the rows
  they changed, and a restore brings back exactly the rows its matching delete removed (not rows
  deleted earlier on their own, nor rows since deleted again by another operation).

Runs twice: on the one-UPDATE-per-model path, and with signal receivers connected (the engine
then loads rows and updates by primary key). Bounded so the whole file takes seconds.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import models, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shared_core import signals
from tests.softdelete.models import Author, Book, Chapter, Node, Review, Tag

pytestmark = pytest.mark.django_db

MODELS: dict[str, type[models.Model]] = {
    m._meta.label: m for m in (Node, Author, Book, Chapter, Tag, Review)
}
NODE, AUTHOR, BOOK, CHAPTER, TAG, REVIEW = MODELS
# CASCADE parent of each model (the relation a soft delete follows), and the reverse accessor.
CASCADE_PARENT = {NODE: (NODE, "children"), BOOK: (AUTHOR, "books"), CHAPTER: (BOOK, "chapters")}

Key = tuple[str, Any]  # (model label, primary key)


@dataclass
class Row:
    """The model's idea of one row."""

    parent: Key | None = None  # CASCADE parent
    deleted: bool = False
    batch: int | None = None  # which reference delete operation marked it
    review_book: Key | None = None  # Review only: the SET_NULL link


@dataclass
class Reference:
    """What must be in the database, computed without the code under test."""

    rows: dict[Key, Row] = field(default_factory=dict)
    tags: set[tuple[Key, Key]] = field(default_factory=set)  # (book, tag)
    batches: Iterator[int] = field(default_factory=itertools.count)

    def children(self, key: Key) -> list[Key]:
        return [k for k, row in self.rows.items() if row.parent == key]

    def soft_delete(self, roots: list[Key]) -> Counter[str]:
        """Mark active ``roots`` and, level by level, their active CASCADE descendants."""
        batch = next(self.batches)
        frontier = [k for k in roots if not self.rows[k].deleted]
        changed: Counter[str] = Counter()
        while frontier:
            for key in frontier:
                self.rows[key].deleted, self.rows[key].batch = True, batch
                changed[key[0]] += 1
            marked = set(frontier)
            frontier = [
                k for k, row in self.rows.items() if row.parent in marked and not row.deleted
            ]
        return changed

    def restore(self, roots: list[Key]) -> Counter[str]:
        """Restore deleted ``roots`` and the descendants deleted in the same operation."""
        frontier = [k for k in roots if self.rows[k].deleted]
        changed: Counter[str] = Counter()
        while frontier:
            for key in frontier:
                self.rows[key].deleted = False
                changed[key[0]] += 1
            restored = {k: self.rows[k].batch for k in frontier}
            frontier = [
                k
                for k, row in self.rows.items()
                if row.deleted and row.parent in restored and row.batch == restored[row.parent]
            ]
        return changed

    def hard_delete(self, root: Key) -> None:
        """Remove ``root`` and every CASCADE descendant whatever its state; apply SET_NULL."""
        doomed, frontier = set(), [root]
        while frontier:
            doomed.update(frontier)
            frontier = [k for k, row in self.rows.items() if row.parent in frontier]
        for key in doomed:
            del self.rows[key]
        self.tags = {(b, t) for b, t in self.tags if b not in doomed and t not in doomed}
        for row in self.rows.values():
            if row.review_book in doomed:
                row.review_book = None

    def keys(self, label: str, *, deleted: bool | None = None) -> set[Any]:
        return {
            k[1]
            for k, row in self.rows.items()
            if k[0] == label and (deleted is None or row.deleted == deleted)
        }


def as_result(changed: Counter[str]) -> tuple[int, dict[str, int]]:
    """Django's delete()/restore() return value for ``changed``."""
    counts = {label: n for label, n in changed.items() if n}
    return sum(counts.values()), counts


def pick(keys: list[Key], index: int) -> Key:
    return keys[index % len(keys)]


class SoftDeleteMachine(RuleBasedStateMachine):
    """Random operations on the real models, checked against :class:`Reference`."""

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint that teardown() rolls back: examples are independent.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.ref = Reference()
        self.names = itertools.count()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------------

    def _all(self, *labels: str) -> list[Key]:
        # Creation order, never an order of random UUIDs: replays must pick the same rows.
        return [k for k in self.ref.rows if k[0] in labels]

    def _get(self, key: Key) -> models.Model:
        return MODELS[key[0]].all_objects.get(pk=key[1])

    def _add(self, obj: models.Model, parent: Key | None = None, **extra: Any) -> None:
        self.ref.rows[(obj._meta.label, obj.pk)] = Row(parent=parent, **extra)

    # --- creation ------------------------------------------------------------------------------

    @rule(parent=st.none() | st.integers(0, 10**6))
    def create_node(self, parent: int | None) -> None:
        nodes = self._all(NODE)
        parent_key = pick(nodes, parent) if parent is not None and nodes else None
        node = Node.objects.create(
            name=f"n{next(self.names)}", parent_id=parent_key[1] if parent_key else None
        )
        self._add(node, parent_key)

    @rule()
    def create_author(self) -> None:
        n = next(self.names)
        self._add(Author.objects.create(name=f"a{n}", email=f"a{n}@example.com"))

    @precondition(lambda self: self._all(AUTHOR))
    @rule(author=st.integers(0, 10**6))
    def create_book(self, author: int) -> None:
        key = pick(self._all(AUTHOR), author)
        self._add(Book.objects.create(author_id=key[1], title=f"b{next(self.names)}"), key)

    @precondition(lambda self: self._all(BOOK))
    @rule(book=st.integers(0, 10**6))
    def create_chapter(self, book: int) -> None:
        key = pick(self._all(BOOK), book)
        self._add(Chapter.objects.create(book_id=key[1], title=f"c{next(self.names)}"), key)

    @rule()
    def create_tag(self) -> None:
        self._add(Tag.objects.create(name=f"t{next(self.names)}"))

    @precondition(lambda self: self._all(BOOK) and self._all(TAG))
    @rule(book=st.integers(0, 10**6), tag=st.integers(0, 10**6))
    def tag_book(self, book: int, tag: int) -> None:
        book_key, tag_key = pick(self._all(BOOK), book), pick(self._all(TAG), tag)
        Book.all_objects.get(pk=book_key[1]).tags.add(tag_key[1])
        self.ref.tags.add((book_key, tag_key))

    @rule(book=st.none() | st.integers(0, 10**6))
    def create_review(self, book: int | None) -> None:
        books = self._all(BOOK)
        book_key = pick(books, book) if book is not None and books else None
        review = Review.objects.create(
            book_id=book_key[1] if book_key else None, text=f"r{next(self.names)}"
        )
        self._add(review, review_book=book_key)

    # --- soft delete, restore, hard delete -----------------------------------------------------

    @precondition(lambda self: self.ref.rows)
    @rule(index=st.integers(0, 10**6))
    def delete_instance(self, index: int) -> None:
        key = pick(self._all(*MODELS), index)
        obj = self._get(key)
        result = obj.delete()
        assert result == as_result(self.ref.soft_delete([key]))
        assert obj.is_deleted

    @precondition(lambda self: self.ref.rows)
    @rule(label=st.sampled_from(list(MODELS)), chosen=st.lists(st.integers(0, 10**6), max_size=4))
    def delete_queryset(self, label: str, chosen: list[int]) -> None:
        keys = self._all(label)
        roots = list(dict.fromkeys(pick(keys, i) for i in chosen)) if keys else []
        result = MODELS[label].objects.filter(pk__in=[k[1] for k in roots]).delete()
        assert result == as_result(self.ref.soft_delete(roots))

    @precondition(lambda self: self.ref.rows)
    @rule(index=st.integers(0, 10**6))
    def restore_instance(self, index: int) -> None:
        key = pick(self._all(*MODELS), index)
        obj = self._get(key)
        result = obj.restore()
        assert result == as_result(self.ref.restore([key]))
        assert not obj.is_deleted

    @precondition(lambda self: self.ref.rows)
    @rule(label=st.sampled_from(list(MODELS)), chosen=st.lists(st.integers(0, 10**6), max_size=4))
    def restore_queryset(self, label: str, chosen: list[int]) -> None:
        keys = self._all(label)
        roots = list(dict.fromkeys(pick(keys, i) for i in chosen)) if keys else []
        result = MODELS[label].all_objects.filter(pk__in=[k[1] for k in roots]).restore()
        assert result == as_result(self.ref.restore(roots))

    @precondition(lambda self: self.ref.rows)
    @rule(index=st.integers(0, 10**6))
    def hard_delete(self, index: int) -> None:
        key = pick(self._all(*MODELS), index)
        self._get(key).hard_delete()
        self.ref.hard_delete(key)

    @precondition(lambda self: any(not r.deleted for r in self.ref.rows.values()))
    @rule(index=st.integers(0, 10**6))
    def delete_then_restore(self, index: int) -> None:
        """The invariant stated directly: restore undoes exactly its matching delete."""
        key = pick([k for k, r in self.ref.rows.items() if not r.deleted], index)
        before = self._snapshot()
        obj = self._get(key)
        removed = obj.delete()
        self.ref.soft_delete([key])
        restored = obj.restore()
        self.ref.restore([key])
        assert restored == removed
        after = self._snapshot()
        assert after == before, "restore did not bring back exactly what the delete removed"

    def _snapshot(self) -> dict[str, set[Any]]:
        """Per model: the visible rows, and every row with its deletion timestamp."""
        snap: dict[str, Any] = {}
        for label, model in MODELS.items():
            snap[label] = set(model.objects.values_list("pk", flat=True))
            snap[label + " all"] = set(model.all_objects.values_list("pk", "deleted_at"))
        return snap

    # --- what must always hold -----------------------------------------------------------------

    @invariant()
    def managers_show_exactly_the_expected_rows(self) -> None:
        for label, model in MODELS.items():
            active = self.ref.keys(label, deleted=False)
            deleted = self.ref.keys(label, deleted=True)
            visible = dict(model.objects.values_list("pk", "deleted_at"))
            assert set(visible) == active, label
            assert all(value is None for value in visible.values()), label
            assert set(model.objects.deleted().values_list("pk", flat=True)) == deleted, label
            assert set(model.objects.with_deleted().values_list("pk", flat=True)) == (
                active | deleted
            ), label
            assert set(model.all_objects.values_list("pk", flat=True)) == active | deleted, label

    @invariant()
    def related_managers_hide_deleted_rows(self) -> None:
        for child_label, (parent_label, accessor) in CASCADE_PARENT.items():
            expected: dict[Any, set[Any]] = {pk: set() for pk in self.ref.keys(parent_label)}
            expected_all: dict[Any, set[Any]] = {pk: set() for pk in self.ref.keys(parent_label)}
            for key, row in self.ref.rows.items():
                if key[0] == child_label and row.parent is not None:
                    expected_all[row.parent[1]].add(key[1])
                    if not row.deleted:
                        expected[row.parent[1]].add(key[1])
            parents = MODELS[parent_label].all_objects.prefetch_related(accessor)
            for parent in parents:
                prefetched = {c.pk for c in getattr(parent, accessor).all()}
                assert prefetched == expected[parent.pk], f"prefetch {parent_label}.{accessor}"
            # Unprefetched managers cost a query each: check the three most recent parents.
            for pk in list(expected)[-3:]:
                manager = getattr(MODELS[parent_label].all_objects.get(pk=pk), accessor)
                assert set(manager.values_list("pk", flat=True)) == expected[pk], accessor
                assert (
                    set(manager.with_deleted().values_list("pk", flat=True)) == (expected_all[pk])
                ), f"{accessor}.with_deleted() must stay scoped to its parent"

    @invariant()
    def many_to_many_hides_deleted_rows_on_both_sides(self) -> None:
        active_books = self.ref.keys(BOOK, deleted=False)
        active_tags = self.ref.keys(TAG, deleted=False)
        for book in Book.all_objects.prefetch_related("tags"):
            expected = {t[1] for b, t in self.ref.tags if b[1] == book.pk and t[1] in active_tags}
            assert {t.pk for t in book.tags.all()} == expected
        for tag in Tag.all_objects.prefetch_related("books"):
            expected = {b[1] for b, t in self.ref.tags if t[1] == tag.pk and b[1] in active_books}
            assert {b.pk for b in tag.books.all()} == expected
        # And unprefetched, on the most recent rows (a query each).
        for book in Book.all_objects.order_by("-created_at")[:2]:
            expected = {t[1] for b, t in self.ref.tags if b[1] == book.pk and t[1] in active_tags}
            assert set(book.tags.values_list("pk", flat=True)) == expected
        for tag in Tag.all_objects.order_by("-created_at")[:2]:
            expected = {b[1] for b, t in self.ref.tags if t[1] == tag.pk and b[1] in active_books}
            assert set(tag.books.values_list("pk", flat=True)) == expected

    @invariant()
    def set_null_is_applied_by_hard_delete_only(self) -> None:
        links = dict(Review.all_objects.values_list("pk", "book_id"))
        for key, row in self.ref.rows.items():
            if key[0] == REVIEW:
                assert links[key[1]] == (row.review_book[1] if row.review_book else None)
        active_books = self.ref.keys(BOOK, deleted=False)
        for book in Book.all_objects.prefetch_related("reviews"):
            expected = {
                k[1]
                for k, row in self.ref.rows.items()
                if k[0] == REVIEW and not row.deleted and row.review_book == (BOOK, book.pk)
            }
            assert {r.pk for r in book.reviews.all()} == expected
            assert (book.pk in active_books) == (not book.is_deleted)


def _noop_receiver(**kwargs: Any) -> None:
    """Connected to switch the engine onto its load-and-signal path."""


@pytest.mark.parametrize("with_receivers", [False, True], ids=["one-update", "signals"])
def test_soft_delete_invariant_holds_for_any_sequence_of_operations(with_receivers):
    sigs = (signals.pre_soft_delete, signals.post_soft_delete, signals.post_restore)
    if with_receivers:
        for sig in sigs:
            sig.connect(_noop_receiver)
    try:
        run_state_machine_as_test(
            SoftDeleteMachine,
            settings=settings(
                max_examples=20,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
                database=None,  # no .hypothesis/ directory written by the test run
            ),
        )
    finally:
        for sig in sigs:
            sig.disconnect(_noop_receiver)
