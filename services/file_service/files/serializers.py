"""Serializers of the file API."""

from __future__ import annotations

from rest_framework import serializers

from apipatterns.serializers import FieldsOnceMixin
from services.file_service.files.models import StoredFile


class StoredFileSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A file's metadata (the content is at ``/api/v1/files/{id}/content``)."""

    class Meta:
        model = StoredFile
        fields = [
            "id",
            "ticket_id",
            "uploaded_by",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "created_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    """A multipart upload: the ticket it belongs to and the file."""

    ticket_id = serializers.UUIDField()
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class FileListQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/files``: the ticket whose files to list."""

    ticket_id = serializers.UUIDField()
