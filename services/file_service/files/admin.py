"""Admin of the file service: stored files' metadata, with soft-delete filters and actions."""

from django.contrib import admin

from services.file_service.files.models import StoredFile
from shared_core.admin import SoftDeleteAdmin


@admin.register(StoredFile)
class StoredFileAdmin(SoftDeleteAdmin):
    """Stored files' metadata (read-only content fields), with soft-delete actions."""

    list_display = ["original_name", "ticket_id", "size", "content_type", "created_at"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = ["file", "sha256", "size", "content_type", "uploaded_by", "ticket_id"]
