"""Settings of the file service: ``settings.base`` plus the files app, its name, database and
storage.

Files go through Django's storage API (``STORAGES["default"]``, a filesystem directory at
``MEDIA_ROOT`` by default); the ticket each file belongs to is checked with the ticket service at
``TICKET_SERVICE_URL``.
"""

from pathlib import Path

from settings.base import *  # noqa: F403
from settings.base import BASE_DIR, INSTALLED_APPS, LOG_FORMAT, LOG_LEVEL, REST_FRAMEWORK, env
from settings.services import (
    consumer_installed_apps,
    consumer_rest_framework,
    service_caches,
    service_database,
)
from shared_core.logging_config import get_logging_config

SERVICE_NAME = "file-service"
LOGGING = get_logging_config(SERVICE_NAME, LOG_LEVEL, LOG_FORMAT)
DATABASES = service_database("file")
CACHES = service_caches(SERVICE_NAME)

# The admin shows this service's own models, not the user service's (users, sessions, ...).
INSTALLED_APPS = consumer_installed_apps([*INSTALLED_APPS, "services.file_service.files"])

ROOT_URLCONF = "services.file_service.urls"
WSGI_APPLICATION = "services.file_service.wsgi.application"

REST_FRAMEWORK = consumer_rest_framework(REST_FRAMEWORK)

# --- Files ------------------------------------------------------------------------------------
# Uploaded files live under MEDIA_ROOT (a volume in docker-compose), never served by URL: the
# only way out is the authorised, streamed /api/v1/files/{id}/content.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "files")))
# Base URL of the ticket service (checks that a ticket exists and the caller may see it).
TICKET_SERVICE_URL = env.str("TICKET_SERVICE_URL", default="http://127.0.0.1:8002")
# Largest accepted upload in bytes (10 MiB by default); larger ones are refused with a 413.
FILE_UPLOAD_MAX_SIZE = env.int("FILE_UPLOAD_MAX_SIZE", default=10 * 1024 * 1024)
# A chunked upload (no Content-Length) is read up to the upload limit plus room for the multipart
# framing, then checked like any other (apipatterns.wsgi.ChunkedBodyMiddleware).
API_MAX_CHUNKED_BODY_SIZE = FILE_UPLOAD_MAX_SIZE + 64 * 1024
# Let the storage create directories and files with safe permissions (owner + group only).
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# /ready checks that the storage is writable.
HEALTHCHECK_STORAGE = True
