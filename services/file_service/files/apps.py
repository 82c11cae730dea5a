"""App config of the files app."""

from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Stored files (``BaseModel``: UUID keys, timestamps, soft delete)."""

    name = "services.file_service.files"
    label = "files"
    verbose_name = "Files"
