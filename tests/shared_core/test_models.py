"""shared_core.models: BaseModel, SoftDeleteQuerySet/Manager, cascades, uniqueness, timestamps.

Every test runs against the real database of the run (SQLite, or PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Prefetch, ProtectedError, Q, RestrictedError
from django.test.utils import CaptureQueriesContext, isolate_apps, override_settings

from shared_core.models import (
    ActiveUniqueConstraint,
    AllObjectsManager,
    BaseModel,
    RestoreConflictError,
    SoftDeletedRowError,
    SoftDeleteManager,
    SoftDeleteQuerySet,
    generate_uuid,
    unique_among_active,
    uuid7,
)
from tests.softdelete.models import (
    AuditNote,
    Author,
    Award,
    Book,
    Chapter,
    Contract,
    Edition,
    Item,
    Node,
    Profile,
    Review,
    Tag,
)

pytestmark = pytest.mark.django_db

ITEM = "softdelete.Item"


def make_items(n: int) -> list[Item]:
    return Item.objects.bulk_create([Item(name=f"item {i}") for i in range(n)])


# --- 1. queryset delete: one query, Django's return value ------------------------------------


def test_queryset_delete_of_1000_rows_is_one_update(django_assert_num_queries):
    make_items(1000)

    with django_assert_num_queries(1) as ctx:
        result = Item.objects.all().delete()

    assert result == (1000, {ITEM: 1000})
    sql = ctx.captured_queries[0]["sql"]
    assert sql.startswith("UPDATE") and "IS NULL" in sql
    assert Item.objects.count() == 0
    assert Item.all_objects.count() == 1000
    with django_assert_num_queries(1):
        assert Item.objects.all().delete() == (0, {})
    # Through the unfiltered manager the already-deleted rows are skipped too.
    assert Item.all_objects.all().delete() == (0, {})


def test_one_operation_gives_every_row_one_timestamp_and_batch():
    make_items(5)
    Item.objects.all().delete()
    assert Item.all_objects.values("deleted_at", "deletion_batch").distinct().count() == 1
    assert Item.all_objects.filter(updated_at=models.F("deleted_at")).count() == 5


def test_queryset_delete_keeps_djangos_guards():
    make_items(3)
    with pytest.raises(TypeError, match="limit"):
        Item.objects.all()[:2].delete()
    with pytest.raises(TypeError, match="values"):
        Item.objects.values("name").delete()
    assert Item.objects.count() == 3


def test_delete_and_restore_are_not_on_the_manager():
    # As with Django's delete(): Item.objects.delete() would be too easy to call by mistake.
    assert not hasattr(Item.objects, "delete")
    assert not hasattr(Item.objects, "restore")
    assert not hasattr(Item.objects, "hard_delete")


# --- 2. update() ------------------------------------------------------------------------------


def test_objects_update_never_touches_deleted_rows():
    alive, gone = make_items(2)
    gone.delete()

    assert Item.objects.update(quantity=5) == 1
    assert Item.all_objects.get(pk=gone.pk).quantity == 0
    assert Item.all_objects.update(quantity=7) == 2
    assert Item.all_objects.get(pk=gone.pk).quantity == 7
    assert Item.all_objects.get(pk=alive.pk).quantity == 7


def test_update_moves_updated_at_unless_given():
    (item,) = make_items(1)
    before = item.updated_at
    Item.objects.update(quantity=1)
    item.refresh_from_db()
    assert item.updated_at > before
    fixed = before - timedelta(days=1)
    Item.objects.update(quantity=2, updated_at=fixed)
    item.refresh_from_db()
    assert item.updated_at == fixed


def test_bulk_update_moves_updated_at():
    items = make_items(2)
    before = items[0].updated_at
    for item in items:
        item.quantity = 3
    Item.objects.bulk_update(items, ["quantity"])
    for item in Item.objects.all():
        assert item.quantity == 3 and item.updated_at > before


# --- 3. related managers, prefetch, annotations ------------------------------------------------


def test_related_manager_and_prefetch_hide_deleted_children(library, django_assert_num_queries):
    book, other = library["books"]
    gone, kept = [c for c in library["chapters"] if c.book == book]
    gone.delete()

    assert list(book.chapters.all()) == [kept]
    assert book.chapters.count() == 1
    with django_assert_num_queries(2):
        books = list(Book.objects.filter(pk__in=[book.pk, other.pk]).prefetch_related("chapters"))
        counts = {b.pk: len(b.chapters.all()) for b in books}
    assert counts == {book.pk: 1, other.pk: 2}
    assert gone.pk not in {c.pk for b in books for c in b.chapters.all()}


def test_with_deleted_on_a_related_manager_stays_scoped_to_the_parent(library):
    book, other = library["books"]
    book.chapters.first().delete()
    other.chapters.first().delete()

    assert {c.book_id for c in book.chapters.with_deleted()} == {book.pk}
    assert book.chapters.with_deleted().count() == 2
    assert book.chapters.deleted().count() == 1
    assert book.chapters.active().count() == 1
    # A deleted row is reachable through the related manager only on request.
    assert other.chapters.deleted().get().book_id == other.pk


def test_prefetch_of_deleted_rows_on_request(library):
    book = library["books"][0]
    book.chapters.first().delete()
    fetched = Book.objects.prefetch_related(
        Prefetch("chapters", queryset=Chapter.all_objects.all(), to_attr="every_chapter")
    ).get(pk=book.pk)
    assert len(fetched.every_chapter) == 2


def test_many_to_many_manager_hides_deleted_targets(library):
    book = library["books"][0]
    kept, gone = Tag.objects.create(name="kept"), Tag.objects.create(name="gone")
    book.tags.add(kept, gone)
    gone.delete()

    assert list(book.tags.all()) == [kept]
    assert book.tags.with_deleted().count() == 2
    # The link row is left alone (not a BaseModel), so a restore brings the tag back in place.
    gone.restore()
    assert set(book.tags.all()) == {kept, gone}


def test_counting_active_children_in_an_annotation(library):
    """The documented way: Count(..., filter=Q(<relation>__deleted_at__isnull=True))."""
    book = library["books"][0]
    book.chapters.first().delete()

    annotated = Book.objects.annotate(
        active_chapters=Count("chapters", filter=Q(chapters__deleted_at__isnull=True)),
        all_chapters=Count("chapters"),
    ).get(pk=book.pk)
    assert annotated.active_chapters == 1
    # A plain Count joins the table and counts deleted rows too: that is why the filter is needed.
    assert annotated.all_chapters == 2


def test_visibility_methods_keep_other_filters():
    first, second, third = make_items(3)
    first.delete()
    second.delete()
    named = Item.objects.filter(name__in=["item 0", "item 2"])

    assert list(named) == [third]
    assert set(named.with_deleted()) == {first, third}
    assert list(named.deleted()) == [first]
    assert list(named.deleted().active()) == [third]
    assert set(Item.objects.deleted()) == {first, second}
    assert Item.objects.with_deleted().count() == 3
    assert Item.all_objects.active().count() == 1
    # with_deleted() on an OR keeps the meaning: each branch loses only its own active filter.
    either = Item.objects.filter(name="item 0") | Item.objects.filter(name="item 1")
    assert set(either.with_deleted()) == {first, second}


def test_with_deleted_keeps_a_filter_on_a_related_models_deleted_at(library):
    book = library["books"][0]
    library["author"].delete()
    Book.all_objects.filter(pk=book.pk).restore()
    # The book is active again, its author is not: the author filter must survive with_deleted().
    assert not Book.objects.filter(author__deleted_at__isnull=True).with_deleted().exists()


# --- 4. forward relations, refresh, save on deleted rows ---------------------------------------


def test_child_parent_resolves_when_the_parent_is_deleted(library):
    chapter = library["chapters"][0]
    Book.objects.filter(pk=chapter.book_id).delete()

    chapter = Chapter.all_objects.get(pk=chapter.pk)
    assert chapter.book.pk == library["books"][0].pk
    assert chapter.book.is_deleted


def test_refresh_and_save_on_a_deleted_instance_update_not_insert(author):
    author.delete()
    author.refresh_from_db()
    assert author.is_deleted

    author.name = "Renamed while deleted"
    with CaptureQueriesContext(connection) as ctx:
        author.save()
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    assert statements == ["UPDATE"]
    assert Author.all_objects.count() == 1
    fresh = Author.all_objects.get(pk=author.pk)
    assert fresh.name == "Renamed while deleted" and fresh.is_deleted


def test_save_of_a_stale_instance_never_restores(author):
    stale = Author.objects.get(pk=author.pk)
    author.delete()

    stale.name = "stale edit"
    stale.save()
    fresh = Author.all_objects.get(pk=author.pk)
    assert fresh.is_deleted and fresh.name == "stale edit"
    # ...and never deletes: a stale deleted copy saved after a restore leaves the row active.
    deleted_copy = Author.all_objects.get(pk=author.pk)
    author.restore()
    deleted_copy.save()
    assert Author.objects.filter(pk=author.pk).exists()


def test_save_with_deferred_fields_saves_only_loaded_ones(author):
    partial = Author.objects.only("name").get(pk=author.pk)
    partial.name = "Partial"
    with CaptureQueriesContext(connection) as ctx:
        partial.save()
    assert len(ctx.captured_queries) == 1
    author.refresh_from_db()
    assert author.name == "Partial" and author.email == "ada@example.com"


# --- 5. uniqueness among active rows ------------------------------------------------------------


def test_unique_among_active_frees_the_value_after_a_soft_delete(author):
    with pytest.raises(IntegrityError), transaction.atomic():
        Author.objects.create(name="Twin", email=author.email)
    author.delete()

    replacement = Author(name="Replacement", email=author.email)
    replacement.full_clean()  # the deleted row does not count
    replacement.save()
    assert Author.all_objects.filter(email=author.email).count() == 2

    clash = Author(name="Clash", email=author.email)
    with pytest.raises(ValidationError) as excinfo:
        clash.full_clean()
    assert "email" in str(excinfo.value).lower()


def test_restoring_a_row_whose_value_is_taken_fails_cleanly(author):
    author.delete()
    Author.objects.create(name="New Ada", email=author.email)

    with pytest.raises(ValidationError):
        author.restore()
    assert Author.all_objects.get(pk=author.pk).is_deleted

    # Without the model validation the database constraint refuses it, with a clear error.
    with pytest.raises(RestoreConflictError, match=r"softdelete\.Author"), transaction.atomic():
        Author.all_objects.filter(pk=author.pk).restore()
    with pytest.raises(IntegrityError), transaction.atomic():
        author.restore(validate=False)
    assert Author.all_objects.get(pk=author.pk).is_deleted


def test_a_clash_deep_in_a_cascade_restore_rolls_back_everything(library):
    """The children's restore fails on the database constraint: nothing is restored."""
    author = library["author"]
    author.delete()
    # A new active author takes the email: restoring the old one must fail as a whole.
    Author.objects.create(name="Ada II", email=author.email)
    with pytest.raises(RestoreConflictError), transaction.atomic():
        Author.all_objects.filter(pk=author.pk).restore()
    assert Book.objects.count() == 0 and Chapter.objects.count() == 0


def test_unique_among_active_builds_a_partial_unique_constraint():
    constraint = unique_among_active("email", name="email_uniq")
    assert constraint.fields == ("email",)
    assert constraint.condition == Q(deleted_at__isnull=True)
    assert constraint.name == "email_uniq"

    default_named = unique_among_active("a", "b")
    assert default_named.name == "%(app_label)s_%(class)s_a_b_active_uniq"

    combined = unique_among_active("slug", name="x", condition=Q(kind="page"))
    assert combined.condition == Q(kind="page") & Q(deleted_at__isnull=True)

    functional = unique_among_active(models.functions.Lower("email"), name="lower_email")
    assert functional.expressions and not functional.fields
    with pytest.raises(ValueError, match="name"):
        unique_among_active(models.functions.Lower("email"))
    with pytest.raises(ValueError):
        unique_among_active(name="nothing")


def test_unique_constraint_is_in_the_database_as_a_partial_index():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Author._meta.db_table)
    unique = [c for c in constraints.values() if c["unique"] and c["columns"] == ["email"]]
    assert len(unique) == 1


# --- 6. cascade and exact restore ----------------------------------------------------------------


def test_cascade_soft_deletes_children_in_one_batch_and_returns_the_counts(library):
    author = library["author"]
    result = author.delete()

    assert result == (
        7,
        {"softdelete.Author": 1, "softdelete.Book": 2, "softdelete.Chapter": 4},
    )
    assert author.is_deleted
    batches = {
        *Book.all_objects.values_list("deletion_batch", flat=True),
        *Chapter.all_objects.values_list("deletion_batch", flat=True),
    }
    assert batches == {Author.all_objects.get(pk=author.pk).deletion_batch}
    assert Book.objects.count() == Chapter.objects.count() == 0
    # Idempotent.
    assert author.delete() == (0, {})


def test_cascade_query_count_does_not_grow_with_rows():
    def build(n_authors: int) -> None:
        for a in range(n_authors):
            author = Author.objects.create(name=f"A{a}", email=f"{n_authors}-{a}@example.com")
            for b in range(3):
                book = Book.objects.create(author=author, title=f"B{b}")
                Chapter.objects.bulk_create(Chapter(book=book, title=f"C{c}") for c in range(3))

    # Generic relations look their content types up once per process (Django's cache).
    ContentType.objects.get_for_models(Author, Book)
    counts = {}
    for n_authors in (1, 20):
        build(n_authors)
        with CaptureQueriesContext(connection) as deleting:
            assert Author.objects.all().delete()[1]["softdelete.Chapter"] == 9 * n_authors
        with CaptureQueriesContext(connection) as restoring:
            assert Author.all_objects.all().restore()[1]["softdelete.Chapter"] == 9 * n_authors
        Author.all_objects.all().hard_delete()
        counts[n_authors] = (len(deleting.captured_queries), len(restoring.captured_queries))
    assert counts[1] == counts[20]
    updates = [q["sql"] for q in deleting.captured_queries if q["sql"].startswith("UPDATE")]
    # One UPDATE per relation step: Author, its Profile, Books, the authors' and the books'
    # Notes (generic), then Award, Chapter and Edition via Book.
    assert len(updates) == 8


def test_restore_skips_a_child_deleted_earlier_on_its_own(library):
    author = library["author"]
    loner = library["chapters"][0]
    loner.delete()
    loner.refresh_from_db()

    author.delete()
    result = author.restore()

    assert result == (
        6,
        {"softdelete.Author": 1, "softdelete.Book": 2, "softdelete.Chapter": 3},
    )
    assert not author.is_deleted
    assert Book.objects.count() == 2 and Chapter.objects.count() == 3
    still_gone = Chapter.all_objects.get(pk=loner.pk)
    assert still_gone.is_deleted
    assert (still_gone.deleted_at, still_gone.deletion_batch) == (
        loner.deleted_at,
        loner.deletion_batch,
    )


def test_restoring_one_parent_of_a_batch_restores_only_its_own_children(db):
    authors = [Author.objects.create(name=f"A{i}", email=f"a{i}@example.com") for i in range(2)]
    books = [Book.objects.create(author=a, title=a.name) for a in authors]
    Author.objects.all().delete()  # one batch for both authors and both books

    assert Author.all_objects.filter(pk=authors[0].pk).restore() == (
        2,
        {"softdelete.Author": 1, "softdelete.Book": 1},
    )
    assert list(Book.objects.all()) == [books[0]]
    assert Book.all_objects.get(pk=books[1].pk).is_deleted


def test_restoring_a_middle_level_restores_its_own_subtree(library):
    library["author"].delete()
    book = Book.all_objects.get(pk=library["books"][0].pk)
    book.restore()
    assert set(Chapter.objects.values_list("book_id", flat=True)) == {book.pk}
    assert Author.objects.count() == 0


def test_restore_is_one_update_without_cascade(django_assert_num_queries):
    make_items(50)
    Item.objects.all().delete()
    with django_assert_num_queries(1):
        assert Item.all_objects.all().restore() == (50, {ITEM: 50})
    assert Item.objects.count() == 50
    assert Item.all_objects.all().restore() == (0, {})


def test_set_null_columns_are_unchanged_after_a_soft_delete(library):
    book = library["books"][0]
    review = Review.objects.create(book=book, text="great")
    book.delete()

    review.refresh_from_db()
    assert review.book_id == book.pk and not review.is_deleted
    book.restore()
    assert list(book.reviews.all()) == [review]
    # The hard delete applies SET_NULL exactly as Django does.
    book.hard_delete()
    review.refresh_from_db()
    assert review.book_id is None


def test_self_referencing_tree_cascades_and_restores_level_by_level(db):
    root = Node.objects.create(name="root")
    level = [root]
    for depth in range(4):
        level = [Node.objects.create(name=f"{depth}", parent=p) for p in level for _ in range(2)]
    assert Node.objects.count() == 31

    assert root.delete() == (31, {"softdelete.Node": 31})
    assert Node.objects.count() == 0
    assert root.restore() == (31, {"softdelete.Node": 31})
    assert Node.objects.count() == 31


# --- 7. PROTECT and RESTRICT --------------------------------------------------------------------


def test_protect_with_an_active_child_raises_and_rolls_back_everything(library):
    author = library["author"]
    contract = Contract.objects.create(author=author)

    with pytest.raises(ProtectedError) as excinfo:
        author.delete()
    assert excinfo.value.protected_objects == {contract}
    assert "Contract.author" in str(excinfo.value)
    assert Author.objects.count() == 1
    assert Book.objects.count() == 2 and Chapter.objects.count() == 4
    assert Author.all_objects.get(pk=author.pk).deletion_batch is None


def test_protect_with_only_deleted_children_goes_ahead(library):
    author = library["author"]
    Contract.objects.create(author=author).delete()
    assert author.delete()[0] == 7


def test_restrict_allows_children_deleted_by_the_same_cascade(library):
    author = library["author"]
    award = Award.objects.create(author=author, book=library["books"][0])

    assert author.delete()[1]["softdelete.Award"] == 1
    award.refresh_from_db()
    assert award.is_deleted


def test_restrict_with_an_active_child_outside_the_cascade_raises(library):
    author = library["author"]
    other = Author.objects.create(name="Other", email="other@example.com")
    other_book = Book.objects.create(author=other, title="Other's")
    award = Award.objects.create(author=author, book=other_book)

    with pytest.raises(RestrictedError) as excinfo:
        author.delete()
    assert excinfo.value.restricted_objects == {award}
    assert Book.objects.count() == 3
    award.delete()
    assert author.delete()[0] == 7


# --- 8. non-BaseModel CASCADE children ----------------------------------------------------------


def test_a_non_basemodel_cascade_child_is_untouched_by_a_soft_delete(author):
    note = AuditNote.objects.create(author=author, text="kept")
    author.delete()

    note = AuditNote.objects.get(pk=note.pk)
    assert note.author == author and note.author.is_deleted

    author.hard_delete()
    assert not AuditNote.objects.filter(pk=note.pk).exists()
    assert not Author.all_objects.filter(pk=author.pk).exists()


def test_hard_delete_cascades_exactly_as_django(library):
    author = library["author"]
    library["chapters"][0].delete()  # a deleted child is still a row: Django deletes it too
    AuditNote.objects.create(author=author, text="x")

    count, per_model = author.hard_delete()
    assert per_model == {
        "softdelete.Author": 1,
        "softdelete.Book": 2,
        "softdelete.Chapter": 4,
        "softdelete.AuditNote": 1,
    }
    assert count == 8
    assert Chapter.all_objects.count() == 0


def test_queryset_hard_delete_respects_the_queryset_scope():
    _alive, gone = make_items(2)
    gone.delete()
    assert Item.objects.all().hard_delete() == (1, {ITEM: 1})
    assert list(Item.all_objects.all()) == [gone]
    assert Item.all_objects.all().hard_delete() == (1, {ITEM: 1})


# --- 10. soft_delete() writes only its own columns ------------------------------------------------


def test_soft_delete_with_unsaved_edits_persists_only_its_columns(author):
    before = Author.all_objects.get(pk=author.pk)
    author.name = "Unsaved"
    author.email = "unsaved@example.com"

    with CaptureQueriesContext(connection) as ctx:
        assert author.soft_delete() == (1, {"softdelete.Author": 1})
    (update,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")][:1]
    assert "softdelete_author" in update.split("SET")[0]
    assert update.split("SET")[1].split("WHERE")[0].count('"') == 6  # three quoted columns
    assert '"deleted_at"' in update and '"name"' not in update and '"email" =' not in update
    fresh = Author.all_objects.get(pk=author.pk)
    assert (fresh.name, fresh.email) == (before.name, before.email)
    assert fresh.deleted_at == author.deleted_at is not None
    assert fresh.updated_at == fresh.deleted_at > before.updated_at
    assert author.soft_delete() == (0, {})


def test_restore_writes_only_its_columns(author):
    author.delete()
    author.name = "Unsaved"
    author.restore()
    fresh = Author.objects.get(pk=author.pk)
    assert fresh.name == "Ada" and fresh.deleted_at is None and author.deleted_at is None


# --- 11. timestamps and keys ----------------------------------------------------------------------


def test_created_at_equals_updated_at_at_insert_and_updated_at_moves():
    item = Item.objects.create(name="clock")
    assert item.created_at == item.updated_at
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.created_at == fresh.updated_at

    item.name = "tick"
    item.save()
    first_save = item.updated_at
    assert first_save > item.created_at

    item.quantity = 2
    item.save(update_fields=["quantity"])
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.updated_at == item.updated_at > first_save
    assert fresh.created_at == item.created_at


def test_bulk_create_sets_equal_timestamps_and_explicit_values_are_kept():
    items = make_items(3)
    assert all(i.created_at == i.updated_at for i in items)
    old = items[0].created_at - timedelta(days=365)
    imported = Item.objects.create(name="imported", created_at=old)
    assert Item.objects.get(pk=imported.pk).created_at == old


def test_save_with_an_empty_update_fields_saves_nothing():
    item = Item.objects.create(name="still")
    with CaptureQueriesContext(connection) as ctx:
        item.save(update_fields=[])
    assert ctx.captured_queries == []


def test_ids_are_uuids_and_the_generator_can_be_swapped():
    assert Item._meta.pk.default is generate_uuid
    assert Item.objects.create(name="v4").pk.version == 4
    with override_settings(SHARED_CORE_UUID_FUNCTION="shared_core.models.uuid7"):
        item = Item.objects.create(name="v7")
    assert item.pk.version == 7
    assert Item.objects.get(pk=item.pk) == item
    assert Item.objects.create(name="back to v4").pk.version == 4


def test_uuid7_layout_and_order(monkeypatch):
    values = [uuid7() for _ in range(100)]
    assert all(v.version == 7 and v.variant == uuid.RFC_4122 for v in values)
    assert len(set(values)) == 100
    ms = [1_700_000_000_000, 1_700_000_000_001]
    stamped = []
    for now in ms:
        monkeypatch.setattr("time.time_ns", lambda now=now: now * 1_000_000)
        stamped.append(uuid7())
    assert stamped[0] < stamped[1]
    assert stamped[0].int >> 80 == ms[0]


def test_is_deleted_follows_deleted_at(author):
    assert author.is_deleted is False
    author.delete()
    assert author.is_deleted is True


def test_mutating_methods_are_flagged_alters_data():
    for method in ("delete", "soft_delete", "restore", "hard_delete", "save"):
        assert getattr(BaseModel, method).alters_data is True
    for method in ("delete", "soft_delete", "restore", "hard_delete", "update"):
        assert getattr(SoftDeleteQuerySet, method).alters_data is True


# --- managers -------------------------------------------------------------------------------------


def test_default_and_unfiltered_managers():
    assert type(Item._default_manager) is SoftDeleteManager
    assert type(Item.all_objects) is AllObjectsManager
    # Django's plain base manager: resolves deleted parents, lets save() UPDATE deleted rows.
    assert type(Item._base_manager) is models.Manager


@isolate_apps("tests.softdelete")
def test_manager_combines_with_a_user_manager():
    class PersonManager(SoftDeleteManager, BaseUserManager):
        pass

    class Person(BaseModel):
        email = models.EmailField()
        objects = PersonManager()

        class Meta:
            app_label = "softdelete"

    assert Person._default_manager is Person.objects
    assert Person.objects.normalize_email("a@EXAMPLE.com") == "a@example.com"
    qs = Person.objects.all()
    assert isinstance(qs, SoftDeleteQuerySet)
    assert '"deleted_at" IS NULL' in str(qs.query)
    assert "WHERE" not in str(qs.with_deleted().query)
    assert isinstance(Person.all_objects, AllObjectsManager)


@isolate_apps("tests.softdelete")
def test_manager_from_a_custom_queryset():
    class PublishedQuerySet(models.QuerySet):
        def published(self):
            return self.filter(published=True)

    class Post(BaseModel):
        published = models.BooleanField(default=False)
        objects = SoftDeleteManager.from_queryset(PublishedQuerySet)()

        class Meta:
            app_label = "softdelete"

    qs = Post.objects.published()
    assert isinstance(qs, SoftDeleteQuerySet) and isinstance(qs, PublishedQuerySet)
    where = str(qs.query).split("WHERE")[-1]
    assert '"deleted_at" IS NULL' in where and '"published"' in where
    assert type(qs).delete is SoftDeleteQuerySet.delete

    class OwnQuerySet(SoftDeleteQuerySet):
        pass

    assert SoftDeleteManager.from_queryset(OwnQuerySet)._queryset_class is OwnQuerySet


# --- Reverse one-to-one: the accessor, select_related and prefetch_related agree -------------


def _profile_views(author_pk):
    """``author.profile`` read three ways: a plain lookup, select_related, prefetch_related."""
    plain = Author.objects.get(pk=author_pk)
    joined = Author.objects.select_related("profile").get(pk=author_pk)
    prefetched = Author.objects.prefetch_related("profile").get(pk=author_pk)
    return [plain, joined, prefetched]


def test_deleted_reverse_one_to_one_is_missing_for_accessor_select_and_prefetch(author):
    profile = Profile.objects.create(author=author, bio="hi")
    assert [a.profile for a in _profile_views(author.pk)] == [profile] * 3

    profile.delete()
    for viewed in _profile_views(author.pk):
        with pytest.raises(Profile.DoesNotExist):
            viewed.profile
        assert not hasattr(viewed, "profile")
    with pytest.raises(Author.profile.RelatedObjectDoesNotExist, match="Author has no profile"):
        Author.objects.get(pk=author.pk).profile


def test_reverse_one_to_one_missing_row_and_deleted_row_look_the_same(author):
    other = Author.objects.create(name="Bo", email="bo@example.com")
    Profile.objects.create(author=other).delete()
    for a in Author.objects.select_related("profile").order_by("name"):
        assert not hasattr(a, "profile")
    for a in Author.objects.prefetch_related("profile"):
        assert not hasattr(a, "profile")


def test_cached_profile_deleted_since_is_missing_on_the_same_author(author):
    Profile.objects.create(author=author)
    author = Author.objects.get(pk=author.pk)
    author.profile.delete()
    with pytest.raises(Profile.DoesNotExist):
        author.profile


def test_prefetch_over_all_objects_still_hides_a_deleted_profile_from_the_accessor(author):
    profile = Profile.objects.create(author=author)
    profile.delete()
    fetched = Author.objects.prefetch_related(
        Prefetch("profile", queryset=Profile.all_objects.all())
    ).get(pk=author.pk)
    assert not hasattr(fetched, "profile")
    assert Profile.all_objects.get(author=author) == profile  # the row is still reachable


def test_restored_profile_is_visible_again_everywhere(author):
    profile = Profile.objects.create(author=author)
    profile.delete()
    profile.restore()
    assert [a.profile for a in _profile_views(author.pk)] == [profile] * 3


def test_profile_is_cascaded_and_restored_with_its_author(author):
    profile = Profile.objects.create(author=author)
    author.delete()
    assert Profile.all_objects.get(pk=profile.pk).is_deleted
    deleted_author = Author.all_objects.get(pk=author.pk)
    assert not hasattr(deleted_author, "profile")
    author.restore()
    assert Author.objects.get(pk=author.pk).profile == profile


def test_forward_one_to_one_still_resolves_a_deleted_author(author):
    """The base manager stays unfiltered: the child side reaches its (deleted) parent."""
    profile = Profile.objects.create(author=author)
    author.delete()
    assert Profile.all_objects.get(pk=profile.pk).author == author


def test_hard_delete_of_an_author_removes_its_deleted_profile(author):
    Profile.objects.create(author=author).delete()
    author.hard_delete()
    assert not Profile.all_objects.exists()


def test_a_new_profile_for_an_author_with_a_deleted_one_is_refused_until_restored(author):
    """A one-to-one link stays unique over all rows: restore (or hard-delete) the old one."""
    old = Profile.objects.create(author=author)
    old.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.create(author=author)
    old.restore()
    assert Author.objects.get(pk=author.pk).profile == old


# --- unique_among_active in model validation, forms -----------------------------------------


class AuthorForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = ["name", "email"]


def test_model_form_reports_a_value_taken_by_an_active_row_on_the_field(author):
    form = AuthorForm(data={"name": "Copy", "email": author.email})
    assert not form.is_valid()
    assert form.errors == {"email": ["Author with this Email already exists."]}
    assert form.errors.as_data()["email"][0].code == "unique"


def test_model_form_accepts_a_value_held_only_by_a_deleted_row(author):
    author.delete()
    form = AuthorForm(data={"name": "Again", "email": author.email})
    assert form.is_valid(), form.errors
    assert form.save().email == author.email


def test_model_form_editing_the_row_itself_is_not_a_duplicate(author):
    form = AuthorForm(data={"name": "Renamed", "email": author.email}, instance=author)
    assert form.is_valid(), form.errors


def test_full_clean_excluding_deleted_at_still_checks_active_uniqueness(author):
    with pytest.raises(ValidationError) as caught:
        Author(name="X", email=author.email).full_clean(exclude=["deleted_at", "deletion_batch"])
    assert caught.value.message_dict == {"email": ["Author with this Email already exists."]}


def test_two_field_constraint_is_a_form_wide_error_like_unique_together(library):
    book = library["books"][0]
    Edition.objects.create(book=book, number=1)

    class EditionForm(forms.ModelForm):
        class Meta:
            model = Edition
            fields = ["book", "number"]

    form = EditionForm(data={"book": book.pk, "number": 1})
    assert not form.is_valid()
    assert form.errors == {"__all__": ["Edition with this Book and Number already exists."]}
    Edition.objects.get(book=book, number=1).delete()
    assert EditionForm(data={"book": book.pk, "number": 1}).is_valid()


def test_custom_violation_message_is_kept_with_code_unique(author):
    constraint = unique_among_active("email", name="x_email", violation_error_message="Taken.")
    assert isinstance(constraint, ActiveUniqueConstraint)
    with pytest.raises(ValidationError) as caught:
        constraint.validate(Author, Author(name="X", email=author.email))
    assert (caught.value.messages, caught.value.code) == (["Taken."], "unique")


def test_unique_among_active_migrates_as_a_plain_unique_constraint():
    constraint = unique_among_active("email", name="x_email")
    path, _args, kwargs = constraint.deconstruct()
    assert path == "django.db.models.UniqueConstraint"
    assert kwargs["condition"] == Q(deleted_at__isnull=True)
    assert constraint == models.UniqueConstraint(
        fields=["email"], name="x_email", condition=Q(deleted_at__isnull=True)
    )


# --- get_or_create / update_or_create naming a soft-deleted primary key ----------------------


def test_get_or_create_with_the_pk_of_a_deleted_row_raises_a_clear_error(author):
    author.delete()
    with pytest.raises(SoftDeletedRowError, match="soft-deleted") as caught:
        Author.objects.get_or_create(pk=author.pk, defaults={"name": "N", "email": "n@x.io"})
    assert caught.value.pk == author.pk
    assert isinstance(caught.value, IntegrityError)
    assert Author.all_objects.get(pk=author.pk).is_deleted  # not revived


@pytest.mark.parametrize("key", ["pk", "id"])
def test_update_or_create_with_the_pk_of_a_deleted_row_raises_and_changes_nothing(author, key):
    author.delete()
    with pytest.raises(SoftDeletedRowError):
        Author.objects.update_or_create(**{key: author.pk}, defaults={"name": "Changed"})
    row = Author.all_objects.get(pk=author.pk)
    assert row.is_deleted and row.name == "Ada"


def test_the_transaction_stays_usable_after_soft_deleted_row_error(author):
    author.delete()
    with transaction.atomic():
        with pytest.raises(SoftDeletedRowError):
            Author.objects.get_or_create(pk=author.pk, defaults={"email": "a@b.c"})
        assert Author.objects.create(name="Next", email="next@example.com").pk


def test_all_objects_update_or_create_updates_a_deleted_row_without_restoring_it(author):
    author.delete()
    row, created = Author.all_objects.update_or_create(pk=author.pk, defaults={"name": "Z"})
    assert not created and row.name == "Z"
    assert Author.all_objects.get(pk=author.pk).is_deleted


def test_get_or_create_by_a_unique_value_of_a_deleted_row_creates_a_new_row(author):
    """django-safedelete revives the deleted row here; we create a new one (documented)."""
    author.delete()
    row, created = Author.objects.get_or_create(email=author.email, defaults={"name": "New"})
    assert created and row.pk != author.pk
    assert Author.all_objects.filter(email=author.email).count() == 2


def test_other_integrity_errors_of_get_or_create_pass_through_unchanged(author):
    Profile.objects.create(author=author).delete()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Profile.objects.get_or_create(bio="second", defaults={"author": author})
    assert not isinstance(caught.value, SoftDeletedRowError)


# --- scenarios ported from django-safedelete and django-model-utils ---------------------------


def test_every_read_of_the_default_manager_hides_deleted_rows():
    first, second, third = (Item.objects.create(name=n, quantity=q) for n, q in ["a1", "b2", "c4"])
    second.delete()
    active = Item.objects.all()
    assert active.count() == 2 and active.exists()
    assert set(active.values_list("name", flat=True)) == {"a", "c"}
    assert {i.name for i in active.iterator()} == {"a", "c"}
    assert active.aggregate(total=models.Sum("quantity"))["total"] == 5
    assert set(Item.objects.in_bulk([first.pk, second.pk, third.pk])) == {first.pk, third.pk}
    assert Item.objects.order_by("name").first() == first
    assert Item.objects.order_by("name").last() == third
    assert Item.objects.latest("quantity") == third
    assert Item.objects.earliest("quantity") == first
    with pytest.raises(Item.DoesNotExist):
        Item.objects.get(pk=second.pk)
    assert Item.objects.filter(pk=second.pk).count() == 0


def test_set_operations_of_active_querysets_stay_active():
    b = [Item.objects.create(name=n) for n in "abc"][1]
    b.delete()
    every = Item.objects.all()
    assert {i.name for i in every.union(Item.objects.filter(name="b"))} == {"a", "c"}
    assert {i.name for i in every.intersection(Item.all_objects.all())} == {"a", "c"}
    assert {i.name for i in Item.all_objects.difference(every)} == {"b"}


def test_a_subquery_of_active_rows_leaves_out_deleted_ones(library):
    kept, gone = library["books"]
    reviews = [Review.objects.create(book=book, text="r") for book in (kept, gone)]
    gone.delete()
    assert list(Review.objects.filter(book__in=Book.objects.all())) == [reviews[0]]
    assert list(Review.objects.filter(book__in=Book.objects.deleted())) == [reviews[1]]


def test_select_related_to_a_deleted_parent_is_one_query(library, django_assert_num_queries):
    chapter = library["chapters"][0]
    library["author"].delete()
    with django_assert_num_queries(1):
        row = Chapter.all_objects.select_related("book__author").get(pk=chapter.pk)
        assert row.book.author.name == "Ada"


def test_prefetch_of_active_children_is_evaluated_once(library, django_assert_num_queries):
    library["books"][0].delete()
    with django_assert_num_queries(2):
        author = Author.objects.prefetch_related("books").get(pk=library["author"].pk)
        assert [b.pk for b in author.books.all()] == [library["books"][1].pk]
        assert len(author.books.all()) == 1


def test_delete_and_restore_on_an_unknown_database_alias_raise(author):
    from django.utils.connection import ConnectionDoesNotExist

    with pytest.raises(ConnectionDoesNotExist):
        author.delete(using="missing")
    with pytest.raises(ConnectionDoesNotExist):
        author.restore(using="missing", validate=False)
    assert Author.objects.filter(pk=author.pk).exists()


def test_queryset_delete_returns_djangos_shape_for_the_filtered_rows_only():
    Item.objects.create(name="a")
    Item.objects.create(name="b")
    assert Item.objects.filter(name="a").delete() == (1, {"softdelete.Item": 1})
    assert Item.objects.count() == 1 and Item.all_objects.count() == 2


def test_soft_deleted_row_error_answers_409_conflict_in_the_api(author):
    import json

    from rest_framework.decorators import api_view, authentication_classes, permission_classes
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory

    @api_view(["PUT"])
    @authentication_classes([])
    @permission_classes([])
    def upsert(request, pk):
        row, created = Author.objects.update_or_create(pk=pk, defaults=request.data)
        return Response({"id": str(row.pk)}, status=201 if created else 200)

    author.delete()
    request = APIRequestFactory().put("/", {"name": "Back"}, format="json")
    response = upsert(request, pk=author.pk)
    response.render()
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "conflict"
    assert Author.all_objects.get(pk=author.pk).is_deleted
