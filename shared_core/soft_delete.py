"""The engine behind soft delete and restore: cascades resolved in SQL, one UPDATE per model.

:mod:`shared_core.models` is the public face; this module holds the machinery.

How a soft delete works. Every row one operation touches gets the same ``deleted_at`` timestamp
and the same fresh ``deletion_batch`` UUID. The rows to cascade to are found with Django's own
deletion rules — :func:`django.db.models.deletion.get_candidate_relations_to_delete`, the function
Django's ``Collector`` walks — but instead of loading every row into memory the way ``Collector``
does, each step is one ``UPDATE child … WHERE fk IN (SELECT … FROM parent WHERE deletion_batch =
<batch>) AND deleted_at IS NULL``. So the number of queries depends on the shape of the model
graph, never on the number of rows, and memory stays flat (there is no "fast delete" shortcut to
turn off: nothing is fetched in the first place). The ``on_delete`` rules, for a soft delete:

- ``CASCADE`` to a :class:`~shared_core.models.BaseModel`: soft-deleted with the parent, same batch.
- ``GenericRelation`` to a BaseModel: its rows are soft-deleted with the object, as Django's
  ``Collector`` deletes them (it follows ``bulk_related_objects()``, and so does this module);
  the object's primary keys are read for that step (the object ID is compared as stored).
- ``CASCADE`` to any other model (a third-party model, an auto-created M2M table): left untouched;
  the parent row still exists, so nothing dangles. ``hard_delete()`` cascades as Django does.
- ``PROTECT``: raises :class:`~django.db.models.ProtectedError` when a row that was active before
  the operation points at a row being deleted; ``RESTRICT``: raises
  :class:`~django.db.models.RestrictedError` when such a row is still active after the cascade.
  Deleted children do not block. The whole operation is rolled back.
- ``SET_NULL``, ``SET_DEFAULT``, ``SET(...)``, ``DO_NOTHING``: nothing is written, so the links are
  still there when the parent is restored.

A restore clears ``deleted_at`` on the chosen rows and then, level by level, on the children that
were deleted *in the same batch as their parent* (``child.deletion_batch = parent.deletion_batch``),
so a child that had been deleted on its own earlier stays deleted. Rows deleted by different
operations are restored one batch at a time (one cascade pass per distinct batch).
``deletion_batch`` is kept on a restored row (it only means something while ``deleted_at`` is
set; the next soft delete overwrites it).

Rows are loaded only when a signal receiver is connected for a model (see
:mod:`shared_core.signals`); then that model's step becomes SELECT + pre-signals + UPDATE by primary
key.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connections, transaction
from django.db.models import (
    CASCADE,
    PROTECT,
    RESTRICT,
    Model,
    ProtectedError,
    Q,
    QuerySet,
    RestrictedError,
)
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.fields.related import ForeignObject
from django.db.models.functions import Coalesce
from django.utils import timezone

from shared_core import signals

if TYPE_CHECKING:
    from shared_core.models import BaseModel

DeleteResult = tuple[int, dict[str, int]]


class RestoreConflictError(IntegrityError):
    """A restore would break a constraint (usually: an active row already holds a unique value).

    Subclasses :class:`django.db.IntegrityError`, so ``except IntegrityError`` still catches it.
    Nothing was restored: the operation runs in one transaction.
    """


def is_soft_delete_model(model: type[Model]) -> bool:
    """Whether ``model`` is a :class:`~shared_core.models.BaseModel` (has soft-delete columns)."""
    return bool(getattr(model, "_soft_delete_model", False))


@dataclass(frozen=True)
class _Relation:
    """One reverse FK/one-to-one pointing at a model, as the deletion machinery sees it."""

    model: type[Model]  # the model holding the foreign key (the "child")
    field: ForeignObject
    on_delete: Any

    @property
    def soft(self) -> bool:
        return is_soft_delete_model(self.model)


@cache
def _relations(model: type[Model]) -> tuple[_Relation, ...]:
    """The relations Django's Collector would visit when deleting ``model`` rows.

    Multi-table-inheritance parent links are skipped: a child row and its parent row are one
    logical object sharing one ``deleted_at`` column.
    """
    found = []
    for related in get_candidate_relations_to_delete(model._meta):
        fk = related.field
        if fk.remote_field.parent_link:
            continue
        found.append(_Relation(related.related_model, fk, fk.remote_field.on_delete))
    return tuple(found)


def _cascade_relations(model: type[Model]) -> list[_Relation]:
    return [r for r in _relations(model) if r.on_delete is CASCADE and r.soft]


@cache
def _generic_relations(model: type[Model]) -> tuple[Any, ...]:
    """The ``GenericRelation`` fields of ``model`` whose rows are BaseModels.

    Django's ``Collector`` deletes the rows of a ``GenericRelation`` with the object (through the
    field's ``bulk_related_objects()``, which this module calls too); a soft delete cascades to
    them the same way, and a restore brings them back with the object.
    """
    return tuple(
        f
        for f in model._meta.private_fields
        if hasattr(f, "bulk_related_objects") and is_soft_delete_model(f.remote_field.model)
    )


def _has_cascade(model: type[Model]) -> bool:
    return bool(_cascade_relations(model) or _generic_relations(model))


def _generic_children(op: _Operation, field: Any, parents: QuerySet) -> Iterator[QuerySet]:
    """The rows of generic relation ``field`` pointing at ``parents``, a query per pk chunk.

    The object IDs are compared as the generic key stores them (``bulk_related_objects``
    converts each primary key with the object-ID field), so the parents' keys are read here:
    a SQL subquery cannot compare a UUID key with a text ``object_id`` portably.
    """
    pks = list(parents.values_list("pk", flat=True))
    for chunk in _pk_batches(op.using, pks):
        yield field.bulk_related_objects([_PK(pk) for pk in chunk], op.using)


@dataclass(frozen=True)
class _PK:
    """What ``bulk_related_objects()`` reads of an object: its ``pk``."""

    pk: Any


def _guard_relations(model: type[Model]) -> list[_Relation]:
    return [r for r in _relations(model) if r.on_delete in (PROTECT, RESTRICT)]


def _has_receivers(model: type[Model], *sigs: Any) -> bool:
    return any(sig.has_listeners(model) for sig in sigs)


def _pk_batches(using: str, pks: list[Any]) -> Iterator[list[Any]]:
    """Split a primary-key list so each ``pk IN (...)`` fits the backend's parameter limit."""
    size = max(connections[using].ops.bulk_batch_size(["pk"], pks), 1)
    for start in range(0, len(pks), size):
        yield pks[start : start + size]


@dataclass
class _Operation:
    """State shared by the steps of one soft delete or restore."""

    using: str
    now: datetime = field(default_factory=timezone.now)
    batch: uuid.UUID = field(default_factory=uuid.uuid4)
    counter: Counter[str] = field(default_factory=Counter)
    # Loaded only for models with receivers: {model: [instances]}, {model: [pks]}.
    instances: dict[type[Model], list[Model]] = field(default_factory=dict)
    pks: dict[type[Model], list[Any]] = field(default_factory=dict)
    # The deletion batches the loaded rows carried before the write (for ``post_bulk_restore``).
    batches: dict[type[Model], set[uuid.UUID]] = field(default_factory=dict)
    # Models that had rows written, in order (an ordered set).
    models: dict[type[Model], None] = field(default_factory=dict)

    def result(self) -> DeleteResult:
        return sum(self.counter.values()), dict(self.counter)

    def rows(self, model: type[Model]) -> QuerySet:
        """Every ``model`` row this soft delete has marked (as a subquery, never loaded)."""
        return model._base_manager.using(self.using).filter(deletion_batch=self.batch)


def _apply(
    op: _Operation,
    model: type[Model],
    queryset: QuerySet,
    values: dict[str, Any],
    *,
    object_signals: tuple[Any, ...],
    bulk_signal: Any,
    pre_signal: Any = None,
    instance: Model | None = None,
) -> int:
    """Write ``values`` to the rows of ``queryset``: one UPDATE, or load + signal + UPDATE by pk.

    ``instance`` (for instance methods) is the object the caller holds: it is the one passed to
    the signals and updated in memory, instead of a freshly loaded copy.
    """
    per_object = _has_receivers(model, *object_signals)
    if not per_object and not _has_receivers(model, bulk_signal):
        count = queryset.update(**values)
        if instance is not None and count:
            _set_attributes(instance, values)
    else:
        if instance is not None:
            found = list(queryset.filter(pk=instance.pk).values_list("deletion_batch", flat=True))
            objs = [instance] if found else []
            pks = [instance.pk] if found else []
            batches = found
            if found:
                instance.deletion_batch = found[0]  # the row's, not a stale copy's
        elif per_object:
            objs = list(queryset)
            pks = [obj.pk for obj in objs]
            batches = [obj.deletion_batch for obj in objs]
        else:
            objs = []
            rows = list(queryset.values_list("pk", "deletion_batch"))
            pks = [pk for pk, _batch in rows]
            batches = [batch for _pk, batch in rows]
        if pre_signal is not None:
            for obj in objs:
                pre_signal.send(sender=model, instance=obj, using=op.using, batch=op.batch)
        count = 0
        for chunk in _pk_batches(op.using, pks):
            count += queryset.filter(pk__in=chunk).update(**values)
        for obj in objs:
            _set_attributes(obj, values)
        if objs:
            op.instances.setdefault(model, []).extend(objs)
        if pks:
            op.pks.setdefault(model, []).extend(pks)
            op.batches.setdefault(model, set()).update(b for b in batches if b is not None)
    if count:
        op.counter[model._meta.label] += count
        op.models[model] = None
    return count


def _set_attributes(obj: Model, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


def _needs_transaction(model: type[Model], *sigs: Any) -> bool:
    """More than one statement (cascade, guard checks or signals) needs a transaction."""
    return bool(_has_cascade(model) or _guard_relations(model) or _has_receivers(model, *sigs))


_DELETE_SIGNALS = (signals.pre_soft_delete, signals.post_soft_delete, signals.post_bulk_soft_delete)
_RESTORE_SIGNALS = (signals.post_restore, signals.post_bulk_restore)


def soft_delete(queryset: QuerySet, instance: BaseModel | None = None) -> DeleteResult:
    """Soft-delete the active rows of ``queryset`` and cascade; return Django's delete result.

    ``instance``: the object whose ``delete()``/``soft_delete()`` was called (``queryset`` is then
    that one row).
    """
    model = queryset.model
    op = _Operation(using=queryset.db)
    active = queryset.filter(deleted_at__isnull=True)
    if not _needs_transaction(model, *_DELETE_SIGNALS):
        _mark_deleted(op, model, active, instance)
        return op.result()
    with transaction.atomic(using=op.using):
        if _mark_deleted(op, model, active, instance):
            _cascade_delete(op, model)
            _check_guards(op)
            _send_delete_signals(op)
    return op.result()


def _mark_deleted(
    op: _Operation, model: type[Model], queryset: QuerySet, instance: Model | None = None
) -> int:
    values = {"deleted_at": op.now, "updated_at": op.now, "deletion_batch": op.batch}
    return _apply(
        op,
        model,
        queryset,
        values,
        object_signals=(signals.pre_soft_delete, signals.post_soft_delete),
        bulk_signal=signals.post_bulk_soft_delete,
        pre_signal=signals.pre_soft_delete,
        instance=instance,
    )


def _cascade_delete(op: _Operation, root: type[Model]) -> None:
    """Follow CASCADE relations to BaseModel children until no step marks a new row.

    A model is revisited only when it received new rows, so a tree (a self-referencing FK) costs
    one query per level and any other graph one query per relation.
    """
    pending: dict[type[Model], None] = {root: None}
    while pending:
        parent = next(iter(pending))
        del pending[parent]
        for relation in _cascade_relations(parent):
            children = relation.model._base_manager.using(op.using).filter(
                **{f"{relation.field.name}__in": op.rows(parent), "deleted_at__isnull": True}
            )
            if _mark_deleted(op, relation.model, children):
                pending[relation.model] = None
        for generic in _generic_relations(parent):
            child_model = generic.remote_field.model
            for children in _generic_children(op, generic, op.rows(parent)):
                if _mark_deleted(op, child_model, children.filter(deleted_at__isnull=True)):
                    pending[child_model] = None


def _check_guards(op: _Operation) -> None:
    """Honour PROTECT/RESTRICT against active children of every row the operation marked."""
    hits: dict[Any, list[tuple[str, str, list[Model]]]] = {PROTECT: [], RESTRICT: []}
    for model in list(op.models):
        for relation in _guard_relations(model):
            children = relation.model._base_manager.using(op.using).filter(
                **{f"{relation.field.name}__in": op.rows(model)}
            )
            if relation.soft and relation.on_delete is PROTECT:
                # Rows that were active before this operation (cascaded ones included, as Django).
                children = children.filter(Q(deleted_at__isnull=True) | Q(deletion_batch=op.batch))
            elif relation.soft:
                # RESTRICT: only rows still active after the cascade block.
                children = children.filter(deleted_at__isnull=True)
            found = list(children)
            if found:
                key = f"'{relation.model.__name__}.{relation.field.name}'"
                hits[relation.on_delete].append((model.__name__, key, found))
    for on_delete, error, kind in (
        (PROTECT, ProtectedError, "protected"),
        (RESTRICT, RestrictedError, "restricted"),
    ):
        if hits[on_delete]:
            names = ", ".join(repr(n) for n in dict.fromkeys(h[0] for h in hits[on_delete]))
            keys = ", ".join(dict.fromkeys(h[1] for h in hits[on_delete]))
            raise error(
                f"Cannot soft-delete some instances of model {names} because they are "
                f"referenced through {kind} foreign keys: {keys}.",
                {obj for hit in hits[on_delete] for obj in hit[2]},
            )


def _send_delete_signals(op: _Operation) -> None:
    for model, objs in op.instances.items():
        for obj in objs:
            signals.post_soft_delete.send(
                sender=model, instance=obj, using=op.using, batch=op.batch
            )
    for model, pks in op.pks.items():
        signals.post_bulk_soft_delete.send(sender=model, pks=pks, using=op.using, batch=op.batch)


def restore(queryset: QuerySet, instance: BaseModel | None = None) -> DeleteResult:
    """Restore the deleted rows of ``queryset`` and the children deleted in the same batch.

    Returns ``(count, {label: count})`` like ``delete()``. A row whose unique value has meanwhile
    been taken by an active row makes the database refuse the restore: that surfaces as
    :class:`RestoreConflictError` and nothing is restored.
    """
    model = queryset.model
    op = _Operation(using=queryset.db)
    deleted = queryset.filter(deleted_at__isnull=False)
    cascade = _has_cascade(model)
    try:
        if not cascade and not _has_receivers(model, *_RESTORE_SIGNALS):
            _mark_restored(op, model, deleted, instance)
            return op.result()
        with transaction.atomic(using=op.using):
            # Usually one batch (the rows were deleted together); one cascade pass per batch.
            batches = (
                list(
                    deleted.order_by()
                    .filter(deletion_batch__isnull=False)
                    .values_list("deletion_batch", flat=True)
                    .distinct()
                )
                if cascade
                else []
            )
            if _mark_restored(op, model, deleted, instance):
                for batch in batches:
                    _cascade_restore(op, model, batch)
                _send_restore_signals(op)
    except IntegrityError as exc:
        if isinstance(exc, RestoreConflictError):
            raise
        raise RestoreConflictError(
            f"Cannot restore {model._meta.label} rows: an active row already holds a value that "
            f"must be unique among active rows, or another constraint fails ({exc})."
        ) from exc
    return op.result()


def _mark_restored(
    op: _Operation, model: type[Model], queryset: QuerySet, instance: Model | None = None
) -> int:
    # ``updated_at = now`` doubles as "restored by this operation" for the next level's query.
    return _apply(
        op,
        model,
        queryset,
        {"deleted_at": None, "updated_at": op.now},
        object_signals=(signals.post_restore,),
        bulk_signal=signals.post_bulk_restore,
        instance=instance,
    )


def _cascade_restore(op: _Operation, root: type[Model], batch: uuid.UUID) -> None:
    """Restore the rows of ``batch`` whose parent this operation restored, level by level.

    ``UPDATE child … WHERE deletion_batch = <batch> AND deleted_at IS NOT NULL AND fk IN (SELECT
    pk FROM parent WHERE deletion_batch = <batch> AND restored now)``: both sides are found
    through the ``deletion_batch`` index, never through a correlated scan.
    """
    pending: dict[type[Model], None] = {root: None}
    while pending:
        parent = next(iter(pending))
        del pending[parent]
        restored_parents = parent._base_manager.using(op.using).filter(
            deletion_batch=batch, deleted_at__isnull=True, updated_at=op.now
        )
        for relation in _cascade_relations(parent):
            # The child's own conditions are wrapped in a no-op COALESCE so that the planner
            # cannot use them as an index path: it must start from the restored parents (via the
            # deletion_batch index) and reach the children through the foreign-key index. With
            # statistics taken before the delete it otherwise picks the child's deletion_batch
            # index as the outer loop and rescans the parent batch per child row (quadratic).
            children = (
                relation.model._base_manager.using(op.using)
                .alias(
                    _batch=Coalesce("deletion_batch", "deletion_batch"),
                    _deleted_at=Coalesce("deleted_at", "deleted_at"),
                )
                .filter(
                    **{f"{relation.field.name}__in": restored_parents},
                    _batch=batch,
                    _deleted_at__isnull=False,
                )
            )
            if _mark_restored(op, relation.model, children):
                pending[relation.model] = None
        for generic in _generic_relations(parent):
            child_model = generic.remote_field.model
            for children in _generic_children(op, generic, restored_parents):
                children = children.filter(deletion_batch=batch, deleted_at__isnull=False)
                if _mark_restored(op, child_model, children):
                    pending[child_model] = None


def _send_restore_signals(op: _Operation) -> None:
    for model, objs in op.instances.items():
        for obj in objs:
            signals.post_restore.send(
                sender=model, instance=obj, using=op.using, batch=obj.deletion_batch
            )
    for model, pks in op.pks.items():
        signals.post_bulk_restore.send(
            sender=model, pks=pks, using=op.using, batches=frozenset(op.batches.get(model, ()))
        )


def iter_soft_delete_models(models: Iterable[type[Model]]) -> Iterator[type[Model]]:
    """The concrete BaseModel subclasses among ``models``."""
    for model in models:
        if is_soft_delete_model(model) and not model._meta.abstract:
            yield model
