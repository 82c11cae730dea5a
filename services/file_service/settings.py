"""Settings of the file service: the suite's presets plus the files app and its storage.

Files go through Django's storage API (``STORAGES["default"]``, a filesystem directory at
``MEDIA_ROOT``); the ticket each file belongs to is checked with the ticket service at
``TICKET_SERVICE_URL``. ``DJANGO_ENV`` picks the environment.
"""

from pathlib import Path

from shared_core import presets
from shared_core.presets import env

BASE_DIR = Path(__file__).resolve().parents[2]
globals().update(
    presets.service(
        "file-service",
        package="services.file_service",
        base_dir=BASE_DIR,
        apps=["services.file_service.files"],
        api_title="File service API",
        api_version="1.0.0",
        api_description=(
            "Files attached to tickets: authorised, streamed uploads and downloads; the "
            "ticket each file belongs to is checked with the ticket service."
        ),
        consumer=True,
    )
)

# Uploaded files live under MEDIA_ROOT (a volume in docker-compose), never served by URL: the
# only way out is the authorised, streamed /api/v1/files/{id}/content.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "files")))
# Base URL of the ticket service (checks that a ticket exists and the caller may see it).
TICKET_SERVICE_URL = env.str("TICKET_SERVICE_URL", default="http://127.0.0.1:8002")
# Where client_for(<service name>) finds each service this one calls (the topology's url_env).
SERVICE_URL_SETTINGS = {
    "user-service": "IDENTITY_SERVICE_URL",
    "ticket-service": "TICKET_SERVICE_URL",
}
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
