"""shared_core.soft_delete: generic relations cascade and restore like foreign keys."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from shared_core import signals
from tests.softdelete.models import Author, Book, Note

pytestmark = pytest.mark.django_db


def note_on(obj, text: str) -> Note:
    return Note.objects.create(target=obj, text=text)


def test_generic_relation_children_are_soft_deleted_with_their_object(library):
    author = library["author"]
    own = note_on(author, "about the author")
    on_book = note_on(library["books"][0], "about a book")  # reached through Book's cascade
    stranger = note_on(Author.objects.create(name="Bo", email="bo@example.com"), "other")

    _count, per_model = author.delete()
    assert per_model["softdelete.Note"] == 2
    assert set(Note.objects.all()) == {stranger}
    assert set(author.notes.all()) == set()
    batch = Author.all_objects.get(pk=author.pk).deletion_batch
    assert {n.deletion_batch for n in Note.all_objects.filter(pk__in=[own.pk, on_book.pk])} == {
        batch
    }


def test_generic_relation_children_are_restored_with_their_object(library):
    author = library["author"]
    own = note_on(author, "a")
    on_book = note_on(library["books"][1], "b")
    author.delete()

    _count, per_model = author.restore()
    assert per_model["softdelete.Note"] == 2
    assert set(Note.objects.all()) == {own, on_book}
    assert list(Author.objects.get(pk=author.pk).notes.all()) == [own]


def test_a_note_deleted_earlier_on_its_own_stays_deleted_after_the_restore(author):
    kept = note_on(author, "kept")
    loner = note_on(author, "deleted first")
    loner.delete()
    author.delete()
    author.restore()
    assert list(Note.objects.all()) == [kept]


def test_queryset_delete_cascades_to_generic_children_of_every_row():
    authors = [Author.objects.create(name=f"A{i}", email=f"a{i}@example.com") for i in range(3)]
    for a in authors:
        note_on(a, "x")
        note_on(a, "y")
    assert Author.objects.all().delete()[1]["softdelete.Note"] == 6
    assert Author.all_objects.all().restore()[1]["softdelete.Note"] == 6


def test_generic_children_of_another_model_with_the_same_key_are_untouched(author):
    """The content type is part of the match, not just the object ID."""
    book_type = ContentType.objects.get_for_model(Book)
    same_id = Note.objects.create(content_type=book_type, object_id=str(author.pk), text="x")
    author.delete()
    assert Note.objects.filter(pk=same_id.pk).exists()


def test_hard_delete_removes_generic_children_as_django_does(author):
    note_on(author, "x")
    author.hard_delete()
    assert not Note.all_objects.exists()


def test_generic_children_get_their_soft_delete_and_restore_signals(author, record_signal):
    note = note_on(author, "x")
    deleted = record_signal(signals.post_soft_delete, sender=Note)
    restored = record_signal(signals.post_restore, sender=Note)
    author.delete()
    author.restore()
    assert [c["instance"].pk for c in deleted] == [note.pk]
    assert [c["instance"].pk for c in restored] == [note.pk]
