"""Test settings: SQLite by default, PostgreSQL/Redis when ``DATABASE_URL``/``CACHE_URL`` say so."""

from pathlib import Path

from settings.base import *  # noqa: F403
from settings.base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789abcdef"
# Fast hashing: the suite creates many users; production keeps Django's default hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".test-media")))
# WhiteNoise looks the files up on each request instead of indexing a STATIC_ROOT that tests
# never collect (and warning that it is missing).
WHITENOISE_AUTOREFRESH = True

# Tests-only app (models and views exercising apipatterns); never installed by services.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.apitest"]  # noqa: F405
# Models the soft-delete tests run against (tests only, never shipped).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.softdelete"]

# The demo services' domain apps, so their models and views are tested in this one test database
# (the services themselves run with their own settings modules).
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "services.ticket_service.tickets",
    "services.file_service.files",
    "services.user_service.roles",
]
TICKET_SERVICE_URL = "http://127.0.0.1:8002"
SERVICE_URL_SETTINGS = {
    "user-service": "IDENTITY_SERVICE_URL",
    "ticket-service": "TICKET_SERVICE_URL",
}
FILE_UPLOAD_MAX_SIZE = 1024 * 1024

# accounts: Google and GitHub switched on with test credentials (no network: tests serve the
# provider's answers from a local HTTP server).
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
]
SOCIALACCOUNT_PROVIDERS = {
    "google": {"APPS": [{"client_id": "test-google-id", "secret": "test-google-secret"}]},
    "github": {"APPS": [{"client_id": "test-github-id", "secret": "test-github-secret"}]},
}
