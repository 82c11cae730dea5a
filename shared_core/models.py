"""``BaseModel``: UUID keys, timestamps and a soft delete that never leaks and never loses data.

Public API: :class:`BaseModel`, :class:`SoftDeleteQuerySet`, :class:`SoftDeleteManager`,
:class:`AllObjectsManager`, :func:`unique_among_active` (:class:`ActiveUniqueConstraint`),
:class:`ActiveReverseOneToOneDescriptor`, :func:`generate_uuid`, :func:`uuid7`,
:class:`RestoreConflictError`, :class:`SoftDeletedRowError`. Signals live in
:mod:`shared_core.signals`, the admin in :mod:`shared_core.admin`, DRF support in
:mod:`shared_core.serializers`, the cascade engine in :mod:`shared_core.soft_delete`.

Quick tour::

    class Ticket(BaseModel):
        title = models.CharField(max_length=200)
        number = models.CharField(max_length=20)

        class Meta:
            constraints = [unique_among_active("number", name="ticket_number_active_uniq")]

    Ticket.objects.filter(...)            # active rows only (also every related manager)
    Ticket.objects.deleted()              # deleted rows only
    Ticket.objects.with_deleted()         # all rows; so is Ticket.all_objects
    Ticket.objects.filter(...).delete()   # soft: one UPDATE per model -> (count, {label: count})
    ticket.delete()                       # soft, cascades to BaseModel children
    ticket.restore()                      # restores it and exactly the rows of its deletion batch
    ticket.hard_delete()                  # Django's real DELETE and cascade

Combining the manager with another manager (e.g. a user manager): put ``SoftDeleteManager``
first so its ``get_queryset()`` (active rows) wins::

    class UserManager(SoftDeleteManager, BaseUserManager): ...

and a custom queryset goes through ``SoftDeleteManager.from_queryset(MyQuerySet)``
(``MyQuerySet`` should subclass ``SoftDeleteQuerySet``; a plain ``QuerySet`` subclass is combined
with it automatically, soft-delete methods first).
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models
from django.db.models import Q
from django.db.models.expressions import Col
from django.db.models.fields.related import lazy_related_operation
from django.db.models.fields.related_descriptors import ReverseOneToOneDescriptor
from django.db.models.lookups import IsNull
from django.db.models.signals import class_prepared
from django.db.models.sql.datastructures import Join
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, WhereNode
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from shared_core import soft_delete as engine
from shared_core.fields import CreatedAtField, UpdatedAtField
from shared_core.soft_delete import DeleteResult, RestoreConflictError

__all__ = [
    "ActiveReverseOneToOneDescriptor",
    "ActiveUniqueConstraint",
    "AllObjectsManager",
    "BaseModel",
    "RestoreConflictError",
    "SoftDeleteManager",
    "SoftDeleteQuerySet",
    "SoftDeletedRowError",
    "generate_uuid",
    "unique_among_active",
    "uuid7",
]

DEFAULT_UUID_FUNCTION = "uuid.uuid4"


# --- Primary keys -----------------------------------------------------------------------------


@functools.cache
def _uuid_function() -> Callable[[], uuid.UUID]:
    from shared_core.conf import shared_core_settings

    return import_string(shared_core_settings.SHARED_CORE_UUID_FUNCTION)


@receiver(setting_changed)
def _reset_uuid_function(*, setting: str, **kwargs: Any) -> None:
    if setting == "SHARED_CORE_UUID_FUNCTION":
        _uuid_function.cache_clear()


def generate_uuid() -> uuid.UUID:
    """Default of ``BaseModel.id``: calls the function named by ``SHARED_CORE_UUID_FUNCTION``.

    The setting is a dotted path (default ``"uuid.uuid4"``; ``"shared_core.models.uuid7"`` gives
    time-ordered keys). Migrations reference this function, not the setting, so switching the
    generator never changes a migration.
    """
    return _uuid_function()()


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then 74 random bits.

    Keys made later sort later (across milliseconds), which keeps B-tree inserts local.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value &= ~(0xF << 76) & ~(0x3 << 62)  # clear the version and variant bits
    value |= 0x7 << 76 | 0x2 << 62  # version 7, RFC 4122/9562 variant
    return uuid.UUID(int=value)


# --- Query helpers ----------------------------------------------------------------------------


def _is_own_alias(query: Query, alias: str) -> bool:
    """Whether ``alias`` is the query's own table (or an MTI parent reached by parent links)."""
    while alias != query.base_table:
        join = query.alias_map.get(alias)
        if not isinstance(join, Join):
            return False
        remote = getattr(join.join_field, "remote_field", None)
        if not (isinstance(join.join_field, models.Field) and getattr(remote, "parent_link", 0)):
            return False
        alias = join.parent_alias
    return True


def _is_visibility_filter(query: Query, node: Any) -> bool:
    return (
        isinstance(node, IsNull)
        and node.rhs in (True, False)
        and isinstance(node.lhs, Col)
        and node.lhs.target.name == "deleted_at"
        and node.lhs.target.model
        in (query.model._meta.concrete_model, *query.model._meta.get_parent_list())
        and _is_own_alias(query, node.lhs.alias)
    )


def _remove_visibility_filter(query: Query, node: WhereNode) -> None:
    """Drop ``deleted_at IS [NOT] NULL`` on the query's own rows wherever it is AND-ed in.

    Only conjuncts are removed — at the top, or inside each branch of an OR (``qs1 | qs2``) — never
    a condition that is itself an OR alternative or sits under NOT, whose meaning would change.
    Only conditions on the queryset's own table go, so ``filter(parent__deleted_at__isnull=True)``
    and the relation filters of a related manager stay.
    """
    if node.negated:
        return
    if node.connector == AND:
        node.children = [c for c in node.children if not _is_visibility_filter(query, c)]
    for child in node.children:
        if isinstance(child, WhereNode):
            _remove_visibility_filter(query, child)


# --- QuerySet and managers --------------------------------------------------------------------


class SoftDeleteQuerySet(models.QuerySet):
    """QuerySet of a :class:`BaseModel`: soft ``delete()``, ``restore()``, ``hard_delete()``.

    Visibility: ``active()``, ``deleted()`` and ``with_deleted()`` replace the soft-delete filter
    and keep every other filter, so ``parent.children.with_deleted()`` is still scoped to
    ``parent``.
    """

    def active(self) -> Self:
        """Only rows that are not deleted."""
        return self.with_deleted().filter(deleted_at__isnull=True)

    def deleted(self) -> Self:
        """Only soft-deleted rows."""
        return self.with_deleted().filter(deleted_at__isnull=False)

    def with_deleted(self) -> Self:
        """Active and deleted rows (the other filters stay)."""
        clone = self._chain()
        _remove_visibility_filter(clone.query, clone.query.where)
        return clone

    def _check_deletable(self, action: str) -> None:
        # The same guards as Django's QuerySet.delete().
        self._not_support_combined_queries(action)
        if self.query.is_sliced:
            raise TypeError(f"Cannot use 'limit' or 'offset' with {action}().")
        if self.query.distinct_fields:
            raise TypeError(f"Cannot call {action}() after .distinct(*fields).")
        if self._fields is not None:
            raise TypeError(f"Cannot call {action}() after .values() or .values_list()")

    def _for_write_query(self) -> Self:
        query = self._chain()
        query._for_write = True
        query.query.select_for_update = False
        query.query.select_related = False
        query.query.clear_ordering(force=True)
        return query

    def delete(self) -> DeleteResult:
        """Soft-delete the active rows (and cascade); return ``(count, {label: count})``.

        One ``UPDATE … WHERE deleted_at IS NULL`` per model; a second call returns ``(0, {})``.
        """
        self._check_deletable("delete")
        result = engine.soft_delete(self._for_write_query())
        self._result_cache = None
        return result

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def soft_delete(self) -> DeleteResult:
        """The explicit name of :meth:`delete`."""
        return self.delete()

    soft_delete.alters_data = True  # type: ignore[attr-defined]
    soft_delete.queryset_only = True  # type: ignore[attr-defined]

    def restore(self) -> DeleteResult:
        """Restore the deleted rows among these and the children deleted with them (same batch).

        Raises :class:`RestoreConflictError` (an ``IntegrityError``) when an active row now holds
        a value that must be unique; nothing is restored then.
        """
        self._check_deletable("restore")
        result = engine.restore(self._for_write_query())
        self._result_cache = None
        return result

    restore.alters_data = True  # type: ignore[attr-defined]
    restore.queryset_only = True  # type: ignore[attr-defined]

    def hard_delete(self) -> DeleteResult:
        """Really delete these rows, cascading exactly as Django does (and sending its signals)."""
        return super().delete()

    hard_delete.alters_data = True  # type: ignore[attr-defined]
    hard_delete.queryset_only = True  # type: ignore[attr-defined]

    def get_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[models.Model, bool]:
        """Django's ``get_or_create()`` over the rows this queryset shows.

        When the row to create would reuse the primary key of a soft-deleted row, raises
        :class:`SoftDeletedRowError` (an ``IntegrityError``) instead of Django's bare one: a
        deleted row is neither revived nor returned behind the caller's back. Restore it
        explicitly, or look it up through ``all_objects``. ``update_or_create()`` goes through
        here too.
        """
        try:
            return super().get_or_create(defaults, **kwargs)
        except IntegrityError as exc:
            deleted = self._deleted_row_named_by({**kwargs, **(defaults or {})})
            if deleted is None:
                raise
            raise SoftDeletedRowError(
                f"{self.model._meta.object_name} with primary key {deleted!r} is soft-deleted: "
                f"restore() it, or read it through {self.model._meta.object_name}.all_objects.",
                pk=deleted,
            ) from exc

    get_or_create.alters_data = True  # type: ignore[attr-defined]

    def _deleted_row_named_by(self, params: dict[str, Any]) -> Any:
        """The primary key in ``params`` when it names a soft-deleted row, else ``None``."""
        pk = self.model._meta.pk
        for name in ("pk", pk.name, pk.attname, "pk__exact", f"{pk.name}__exact"):
            if name in params and params[name] is not None:
                value = params[name]
                base = self.model._base_manager.db_manager(self.db)
                if base.filter(pk=value, deleted_at__isnull=False).exists():
                    return value
                return None
        return None

    def update(self, **kwargs: Any) -> int:
        """Django's ``update()``, also moving ``updated_at`` unless it is given."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(
        self, objs: Iterable[models.Model], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        """Django's ``bulk_update()``, also writing a fresh ``updated_at``."""
        objs = list(objs)
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        if "updated_at" not in fields:
            fields = [*fields, "updated_at"]
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True  # type: ignore[attr-defined]


class _SoftDeleteManagerMixin:
    @classmethod
    def from_queryset(cls, queryset_class: type[models.QuerySet], class_name: str | None = None):
        """Build a manager from ``queryset_class``, keeping the soft-delete queryset methods.

        A queryset that does not subclass :class:`SoftDeleteQuerySet` is combined with it
        (``SoftDeleteQuerySet`` first, so ``delete()`` stays soft).
        """
        if not issubclass(queryset_class, SoftDeleteQuerySet):
            queryset_class = type(
                f"SoftDelete{queryset_class.__name__}",
                (SoftDeleteQuerySet, queryset_class),
                {"__module__": queryset_class.__module__},
            )
        return super().from_queryset(queryset_class, class_name)  # type: ignore[misc]


class AllObjectsManager(_SoftDeleteManagerMixin, models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Every row, deleted or not, with the soft-delete queryset methods (``all_objects``)."""


class SoftDeleteManager(AllObjectsManager):
    """The default manager of a :class:`BaseModel` (``objects``): active rows only.

    Django builds reverse-FK and many-to-many related managers (and ``prefetch_related``) from
    the default manager, so they hide deleted rows too. ``deleted()`` and ``with_deleted()`` reach
    the others. Combine with another manager by listing this one first::

        class UserManager(SoftDeleteManager, BaseUserManager): ...
    """

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


# --- Constraints ------------------------------------------------------------------------------


class ActiveUniqueConstraint(models.UniqueConstraint):
    """The ``UniqueConstraint`` :func:`unique_among_active` builds: validation names the field.

    Django reports a violated *conditional* unique constraint as a form-wide "Constraint … is
    violated." error. This one reports it as Django reports ``unique=True``: "Author with this
    Email already exists." (code ``unique``), attached to the field for a one-field constraint,
    so model forms, the admin and :mod:`shared_core.serializers` show it next to the field. A
    custom ``violation_error_message`` is kept, with code ``unique`` unless one is given.

    In the database and in migrations it is a plain ``UniqueConstraint`` (``deconstruct()``
    says so), so adopting it changes no migration.
    """

    def validate(
        self,
        model: type[models.Model],
        instance: models.Model,
        exclude: Iterable[str] | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        """Django's check, reported as a unique-field error (see the class docstring)."""
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as exc:
            if self.violation_error_message != self.default_violation_error_message:
                raise ValidationError(
                    self.get_violation_error_message(),
                    code=self.violation_error_code or "unique",
                ) from exc
            if not self.fields:
                raise
            raise instance.unique_error_message(model, self.fields) from exc

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.UniqueConstraint", args, kwargs


def unique_among_active(
    *fields: str | Any, name: str | None = None, condition: Q | None = None, **kwargs: Any
) -> ActiveUniqueConstraint:
    """A ``UniqueConstraint`` over active rows only (``condition=Q(deleted_at__isnull=True)``).

    ``fields`` are field names, or expressions (``Lower("email")``) for a functional constraint.
    A deleted row then never blocks a new one; ``full_clean()``/``validate_constraints()`` (so
    model forms and the admin) report a taken value as a field error and ignore deleted rows,
    and restoring a row whose value is taken again fails. It is a partial unique
    index on PostgreSQL and SQLite. ``name`` defaults to
    ``"%(app_label)s_%(class)s_<fields>_active_uniq"`` for field names (required with
    expressions); ``condition`` is AND-ed with the active-row condition; other keyword arguments
    (``violation_error_message``, ``violation_error_code``…) go to ``UniqueConstraint``.
    """
    if not fields:
        raise ValueError("unique_among_active() needs at least one field or expression.")
    active = Q(deleted_at__isnull=True)
    condition = active if condition is None else condition & active
    if all(isinstance(f, str) for f in fields):
        if name is None:
            name = "%(app_label)s_%(class)s_" + "_".join(fields) + "_active_uniq"
        return ActiveUniqueConstraint(fields=fields, name=name, condition=condition, **kwargs)
    if name is None:
        raise ValueError("unique_among_active() with expressions needs name=...")
    expressions = [models.F(f) if isinstance(f, str) else f for f in fields]
    return ActiveUniqueConstraint(*expressions, name=name, condition=condition, **kwargs)


# --- Reverse one-to-one ------------------------------------------------------------------------


class SoftDeletedRowError(IntegrityError):
    """``get_or_create()``/``update_or_create()`` named the primary key of a soft-deleted row.

    Subclasses :class:`django.db.IntegrityError` (the API answers it 409 ``conflict``); ``pk``
    is the deleted row's key.
    """

    def __init__(self, message: str, *, pk: Any) -> None:
        super().__init__(message)
        self.pk = pk


class ActiveReverseOneToOneDescriptor(ReverseOneToOneDescriptor):
    """``author.profile`` when ``Profile`` is a BaseModel: active rows only.

    Django reads a reverse one-to-one through the related model's *base* manager, which must
    stay unfiltered (Django's documentation: a base manager must not filter rows; ``save()``,
    ``refresh_from_db()``, forward relations and the hard-delete collector rely on it). So this
    descriptor, installed on the reverse side of every one-to-one field of a BaseModel,
    filters instead: a lookup reads active rows only, and a cached deleted row (from
    ``select_related()``, a ``Prefetch`` over ``all_objects``, or an instance deleted since)
    raises ``RelatedObjectDoesNotExist`` as a missing row does. ``hasattr(author, "profile")``
    is then ``False``; ``Profile.all_objects.get(author=author)`` still reaches the row.
    """

    def get_queryset(self, **hints: Any) -> models.QuerySet:
        return super().get_queryset(**hints).filter(deleted_at__isnull=True)

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        related = super().__get__(instance, cls)
        if related.deleted_at is not None:
            raise self.RelatedObjectDoesNotExist(
                f"{instance.__class__.__name__} has no {self.related.accessor_name}."
            )
        return related


def _install_active_reverse_descriptor(
    model: type[models.Model], related_model: type[models.Model], *, field: models.Field
) -> None:
    rel = field.remote_field
    if rel.hidden:
        return
    name = rel.accessor_name
    if type(related_model.__dict__.get(name)) is ReverseOneToOneDescriptor:
        setattr(related_model, name, ActiveReverseOneToOneDescriptor(rel))


@receiver(class_prepared)
def _hide_deleted_reverse_one_to_one(sender: type[models.Model], **kwargs: Any) -> None:
    """Give every one-to-one field of a BaseModel the active-rows reverse accessor.

    Multi-table-inheritance parent links are left alone: parent and child rows are one object
    with one ``deleted_at``.
    """
    if not getattr(sender, "_soft_delete_model", False):
        return
    for field in sender._meta.local_fields:
        if field.one_to_one and not field.remote_field.parent_link:
            lazy_related_operation(
                _install_active_reverse_descriptor, sender, field.remote_field.model, field=field
            )


# --- The model --------------------------------------------------------------------------------

_SOFT_DELETE_COLUMNS = frozenset({"deleted_at", "deletion_batch"})


class BaseModel(models.Model):
    """Abstract base: UUID primary key, ``created_at``/``updated_at``, soft delete.

    - ``deleted_at`` is the one source of truth (NULL while alive); ``is_deleted`` reads it.
    - ``deletion_batch`` marks every row one soft delete touched, so ``restore()`` brings back
      exactly that operation's cascade.
    - ``objects`` (default manager) shows active rows; ``all_objects`` shows all. The base manager
      stays Django's unfiltered one, so ``child.parent`` resolves to a deleted parent and
      ``refresh_from_db()``/``save()`` work on deleted rows.
    - ``save()`` never writes ``deleted_at``/``deletion_batch`` of an existing row (a stale
      instance cannot restore or delete a row by accident); ``restore()``/``delete()`` do that.
      ``save(update_fields=[...])`` always includes ``updated_at``.
    """

    id = models.UUIDField(primary_key=True, default=generate_uuid, editable=False)
    created_at = CreatedAtField(db_index=True)
    updated_at = UpdatedAtField()
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deletion_batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    objects = SoftDeleteManager()
    all_objects = AllObjectsManager()

    # Marker the cascade engine and the system checks look for.
    _soft_delete_model = True

    class Meta:
        abstract = True
        get_latest_by = "created_at"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Django's ``save()``; ``updated_at`` always written, soft-delete columns never."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            if update_fields:  # an empty list means "save nothing", as in Django
                kwargs["update_fields"] = update_fields | {"updated_at"}
        elif (
            not self._state.adding
            and not kwargs.get("force_insert")
            and (kwargs.get("using") or self._state.db) == self._state.db
        ):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in _SOFT_DELETE_COLUMNS
                and f.attname not in deferred
                and not getattr(f, "generated", False)
            ]
        super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]

    def validate_constraints(self, exclude: Iterable[str] | None = None) -> None:
        """Django's ``validate_constraints()``, never excluding the soft-delete columns.

        Forms exclude ``deleted_at`` (it is not editable), and Django skips a constraint whose
        condition names an excluded field: that would skip every :func:`unique_among_active`.
        The row's own ``deleted_at`` always takes part, so a form or the admin reports a value
        taken by an active row as a field error instead of failing with ``IntegrityError``.
        """
        if exclude is not None:
            exclude = set(exclude) - _SOFT_DELETE_COLUMNS
        super().validate_constraints(exclude=exclude)

    @property
    def is_deleted(self) -> bool:
        """Whether the row is soft-deleted (``deleted_at`` is set)."""
        return self.deleted_at is not None

    def _own_row(self, using: str | None) -> models.QuerySet:
        if self.pk is None:
            raise ValueError(
                f"{self._meta.object_name} object can't be deleted or restored because its "
                f"{self._meta.pk.attname} attribute is set to None."
            )
        # The base manager is Django's unfiltered one, whatever managers a subclass declares.
        qs = type(self)._base_manager.db_manager(using).filter(pk=self.pk)
        qs._for_write = True
        return qs

    def delete(self, using: str | None = None, keep_parents: bool = False) -> DeleteResult:
        """Soft-delete this row and its BaseModel CASCADE children; return Django's result.

        Idempotent: on a row that is already deleted it writes nothing and returns ``(0, {})``.
        Only ``deleted_at``, ``updated_at`` and ``deletion_batch`` are written; unsaved edits on
        the instance are not. ``keep_parents`` is accepted for signature compatibility.
        """
        return engine.soft_delete(self._own_row(using), instance=self)

    delete.alters_data = True  # type: ignore[attr-defined]

    def soft_delete(self, using: str | None = None) -> DeleteResult:
        """The explicit name of :meth:`delete`."""
        return self.delete(using=using)

    soft_delete.alters_data = True  # type: ignore[attr-defined]

    def restore(self, using: str | None = None, *, validate: bool = True) -> DeleteResult:
        """Restore this row and the children deleted in the same batch.

        With ``validate`` (the default) the model's constraints are checked first, so a value
        taken meanwhile raises a ``ValidationError`` naming the field; the database constraint
        (:class:`RestoreConflictError`) backs it up, e.g. for children. Writes only
        ``deleted_at`` and ``updated_at``.
        """
        if validate and self.deleted_at is not None:
            deleted_at, self.deleted_at = self.deleted_at, None
            try:
                self.validate_constraints()
            finally:
                self.deleted_at = deleted_at
        return engine.restore(self._own_row(using), instance=self)

    restore.alters_data = True  # type: ignore[attr-defined]

    def hard_delete(self, using: str | None = None, keep_parents: bool = False) -> DeleteResult:
        """Really delete the row: Django's ``Model.delete()``, its cascade and its signals."""
        return super().delete(using=using, keep_parents=keep_parents)

    hard_delete.alters_data = True  # type: ignore[attr-defined]
