"""Storing an upload safely: size limit, SHA-256, content type and a safe original name."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from typing import Any
from uuid import UUID

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from services.file_service.files.models import StoredFile

_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_NAME_LENGTH = 200
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters,
# and the line and paragraph separators: nothing a file name needs, all of them log/header tricks.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def safe_original_name(name: str | None) -> str:
    """The client's file name, reduced to something safe to keep and to send back.

    Only the last path component survives (``../../etc/passwd`` → ``passwd``, ``C:\\x\\y.txt`` →
    ``y.txt``); control, format and line-separator characters (newlines, NUL, bidi overrides)
    are dropped; the
    result is at most 200 characters, keeping the extension, and never empty or a dot name.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = name.strip().strip(".")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot and stem else ""
        name = name[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext if ext else name[:MAX_NAME_LENGTH]
    return name or "file"


def content_type_for(declared: str | None, name: str) -> str:
    """The media type to record: the declared one when well-formed, else guessed from the name."""
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if declared and _CONTENT_TYPE.fullmatch(declared):
        return declared
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


def sha256_of(upload: UploadedFile) -> str:
    """SHA-256 of an upload, read in chunks (large uploads are temporary files, not memory)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def store_upload(upload: UploadedFile, *, ticket_id: UUID, uploaded_by: Any) -> StoredFile:
    """Write the upload through the storage API and record it; nothing is overwritten."""
    original = safe_original_name(upload.name)
    record = StoredFile(
        ticket_id=ticket_id,
        uploaded_by=uploaded_by,
        original_name=original,
        content_type=content_type_for(upload.content_type, original),
        size=upload.size,
        sha256=sha256_of(upload),
    )
    # FileField.save() writes through the storage (which never overwrites: it picks a free
    # name) and then saves the row; if the row fails, the stored file is removed again.
    with transaction.atomic():
        record.file.save(original, upload, save=False)
        try:
            record.save()
        except BaseException:
            record.file.delete(save=False)
            raise
    return record
