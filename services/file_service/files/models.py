"""Files attached to tickets.

The ticket lives in the ticket service, so it is referenced by UUID. Whether a file is visible is
decided at every read by asking the ticket service whether the caller may see the ticket: a
soft-deleted ticket hides its files, and restoring it brings them back, with no copy of the
ticket's state kept here to go stale.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from shared_core.models import BaseModel


def stored_name(instance: StoredFile, filename: str) -> str:
    """Where a file is stored: ``tickets/<ticket id>/<random hex>``.

    Nothing the client sent is part of the path (no traversal, no clash on equal names); the
    original name is kept in ``original_name`` for the download's ``Content-Disposition``.
    """
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class StoredFile(BaseModel):
    """One uploaded file: where it is stored, what it was called, its size, type and SHA-256."""

    ticket_id = models.UUIDField(_("ticket"), db_index=True)
    uploaded_by = models.UUIDField(_("uploaded by"), db_index=True)
    file = models.FileField(_("file"), upload_to=stored_name, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
