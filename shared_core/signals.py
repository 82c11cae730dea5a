"""Signals sent by soft delete and restore on :class:`shared_core.models.BaseModel` subclasses.

Per-object signals (``sender`` is the model class, like Django's ``pre_delete``/``post_delete``):

- ``pre_soft_delete(sender, instance, using, batch)``: before the row is marked deleted. A receiver
  that raises aborts the whole operation (everything runs in one transaction).
- ``post_soft_delete(sender, instance, using, batch)``: after every row of the operation (the
  cascade included) is marked and the PROTECT/RESTRICT checks passed, still inside the transaction.
- ``post_restore(sender, instance, using, batch)``: after the row is restored.

Each is sent exactly once per object that the operation actually changes: a cascaded child gets
its own signal, a row that was already deleted (a repeated ``delete()``) gets none. ``batch`` is
the operation's deletion batch marker (a ``uuid.UUID``); for a restore it is the batch that was
restored.

Bulk signals, sent once per model per operation (instance or queryset operation alike), carrying
the primary keys instead of instances:

- ``post_bulk_soft_delete(sender, pks, using, batch)``: ``batch`` is the operation's marker.
- ``post_bulk_restore(sender, pks, using, batches)``: ``batches`` is a ``frozenset`` of the
  deletion batches the restored rows belonged to (one restore can bring back rows of several
  deletions, e.g. ``Model.objects.deleted().restore()``); the per-object ``post_restore`` gives
  each row's own ``batch``.

Django's own ``pre_delete``/``post_delete`` fire only on ``hard_delete()``, exactly as Django sends
them. Rows are loaded to send a signal only when a receiver is connected for that model, so an
operation nobody listens to stays one UPDATE per model.
"""

from __future__ import annotations

from django.dispatch import Signal

pre_soft_delete = Signal()
post_soft_delete = Signal()
post_restore = Signal()
post_bulk_soft_delete = Signal()
post_bulk_restore = Signal()

__all__ = [
    "post_bulk_restore",
    "post_bulk_soft_delete",
    "post_restore",
    "post_soft_delete",
    "pre_soft_delete",
]
