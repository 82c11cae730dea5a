"""shared_core.signals: once per object, bulk forms carry primary keys, Django's only on hard."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_delete, pre_delete

from shared_core import signals
from tests.softdelete.models import Author, Book, Chapter, Item

pytestmark = pytest.mark.django_db


def senders_and_pks(calls):
    return sorted((c["sender"].__name__, str(c["instance"].pk)) for c in calls)


def test_soft_delete_signals_fire_once_per_object_in_a_cascade(library, record_signal):
    pre = record_signal(signals.pre_soft_delete)
    post = record_signal(signals.post_soft_delete)
    author = library["author"]
    expected = sorted(
        [("Author", str(author.pk))]
        + [("Book", str(b.pk)) for b in library["books"]]
        + [("Chapter", str(c.pk)) for c in library["chapters"]]
    )

    assert author.delete()[0] == 7
    assert senders_and_pks(pre) == senders_and_pks(post) == expected
    # The caller's own instance is the one sent, and post sees it deleted, pre did not.
    assert next(c["instance"] for c in post if c["sender"] is Author) is author
    assert all(c["instance"].is_deleted for c in post)
    batch = Author.all_objects.get(pk=author.pk).deletion_batch
    assert {c["batch"] for c in pre + post} == {batch}

    # A repeated delete, of the instance or through a queryset, sends nothing more.
    author.delete()
    Author.all_objects.all().delete()
    Chapter.all_objects.all().delete()
    assert len(pre) == len(post) == 7


def test_pre_soft_delete_sees_the_row_still_active(author, record_signal):
    seen = []

    def check(sender, instance, **kwargs):
        seen.append(Author.objects.filter(pk=instance.pk).exists())

    signals.pre_soft_delete.connect(check, sender=Author)
    try:
        author.delete()
    finally:
        signals.pre_soft_delete.disconnect(check, sender=Author)
    assert seen == [True]


def test_a_receiver_that_raises_rolls_the_whole_operation_back(library):
    def veto(sender, instance, **kwargs):
        raise RuntimeError("no chapters may go")

    signals.pre_soft_delete.connect(veto, sender=Chapter)
    try:
        with pytest.raises(RuntimeError):
            library["author"].delete()
    finally:
        signals.pre_soft_delete.disconnect(veto, sender=Chapter)
    assert Author.objects.count() == 1 and Book.objects.count() == 2


def test_queryset_delete_sends_per_object_and_bulk_signals(record_signal):
    items = Item.objects.bulk_create([Item(name=str(i)) for i in range(5)])
    post = record_signal(signals.post_soft_delete, sender=Item)
    bulk = record_signal(signals.post_bulk_soft_delete, sender=Item)

    assert Item.objects.all().delete() == (5, {"softdelete.Item": 5})
    assert sorted(str(c["instance"].pk) for c in post) == sorted(str(i.pk) for i in items)
    assert len(bulk) == 1
    assert sorted(map(str, bulk[0]["pks"])) == sorted(str(i.pk) for i in items)
    assert bulk[0]["sender"] is Item and bulk[0]["batch"] is not None

    Item.objects.all().delete()
    assert len(post) == 5 and len(bulk) == 1


def test_only_a_bulk_receiver_loads_primary_keys_not_rows(record_signal, django_assert_num_queries):
    Item.objects.bulk_create([Item(name=str(i)) for i in range(3)])
    bulk = record_signal(signals.post_bulk_soft_delete, sender=Item)
    # SAVEPOINT, SELECT pk, UPDATE, RELEASE.
    with django_assert_num_queries(4) as ctx:
        Item.objects.all().delete()
    select = next(q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT"))
    assert '"name"' not in select
    assert len(bulk[0]["pks"]) == 3


def test_restore_signals_fire_once_per_restored_object(library, record_signal):
    restored = record_signal(signals.post_restore)
    bulk = record_signal(signals.post_bulk_restore)
    loner = library["chapters"][0]
    loner.delete()
    author = library["author"]
    author.delete()

    author.restore()
    assert len(restored) == 6
    assert loner.pk not in {c["instance"].pk for c in restored}
    assert all(not c["instance"].is_deleted for c in restored)
    assert {c["sender"].__name__: len(c["pks"]) for c in bulk} == {
        "Author": 1,
        "Book": 2,
        "Chapter": 3,
    }
    author.restore()
    assert len(restored) == 6


def test_djangos_delete_signals_fire_only_on_hard_delete(library, record_signal):
    pre = record_signal(pre_delete)
    post = record_signal(post_delete)
    author = library["author"]

    author.delete()
    author.restore()
    Book.objects.all().delete()
    assert pre == [] and post == []

    author.hard_delete()
    assert len(pre) == len(post) == 7
    assert {c["sender"] for c in post} == {Author, Book, Chapter}


def test_bulk_restore_signal_carries_the_batches_it_restored(record_signal):
    first, second = Item.objects.bulk_create([Item(name="a"), Item(name="b")])
    first.delete()
    second.delete()
    bulk = record_signal(signals.post_bulk_restore, sender=Item)

    Item.objects.deleted().restore()
    assert len(bulk) == 1
    assert bulk[0]["batches"] == frozenset(
        Item.all_objects.values_list("deletion_batch", flat=True)
    )
    assert len(bulk[0]["batches"]) == 2


def test_bulk_restore_signal_of_a_cascade_names_the_one_batch(library, record_signal):
    bulk = record_signal(signals.post_bulk_restore)
    author = library["author"]
    author.delete()
    batch = Author.all_objects.get(pk=author.pk).deletion_batch

    author.restore()
    assert {c["sender"].__name__: c["batches"] for c in bulk} == {
        "Author": frozenset({batch}),
        "Book": frozenset({batch}),
        "Chapter": frozenset({batch}),
    }


def test_post_restore_of_a_stale_instance_sends_the_rows_batch(author, record_signal):
    restored = record_signal(signals.post_restore, sender=Author)
    stale = Author.objects.get(pk=author.pk)
    author.delete()
    stale.deleted_at = author.deleted_at  # a copy that never saw the batch marker
    stale.restore(validate=False)
    assert restored[0]["batch"] == author.deletion_batch is not None
