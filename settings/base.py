"""Common settings, every value read from the environment with a documented default.

Services build on this module (``from settings.base import *``) and add their own apps and URLs.
Defaults are the embedded ones (SQLite, local-memory cache) so a fresh checkout runs as it is;
``.env.example`` lists every variable.
"""

from pathlib import Path

import environ

from shared_core.logging_config import get_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# .env is read only when present; real environment variables always win over it.
_env_file = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if _env_file.is_file():
    env.read_env(_env_file)

# --- Core -----------------------------------------------------------------------------------
# A development-only key: settings.prod refuses to start without a real SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SERVICE_NAME = env.str("SERVICE_NAME", default="django-service")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "health_check",
    "shared_core",
    "apipatterns",
    "accounts",
    "healthchecks",
]

MIDDLEWARE = [
    "shared_core.request_id.RequestIDMiddleware",
    # apipatterns: one log line per request (sees the final status), then problem+json for every
    # error that does not come from a DRF view (see the "API conventions" block below).
    "apipatterns.middleware.RequestLogMiddleware",
    "apipatterns.middleware.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files from the app itself (the container has no separate server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-us")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text").lower()
LOGGING = get_logging_config(SERVICE_NAME, LOG_LEVEL, LOG_FORMAT)

# --- Inter-service calls (shared_core.clients.HTTPClient) --------------------------------------
# The token this service sends when it calls another service (``Authorization: Bearer …``).
SERVICE_AUTH_TOKEN = env.str("SERVICE_AUTH_TOKEN", default="")
HTTP_CLIENT_CONNECT_TIMEOUT = env.float("HTTP_CLIENT_CONNECT_TIMEOUT", default=3.05)
HTTP_CLIENT_READ_TIMEOUT = env.float("HTTP_CLIENT_READ_TIMEOUT", default=10.0)
HTTP_CLIENT_DEADLINE = env.float("HTTP_CLIENT_DEADLINE", default=30.0)
HTTP_CLIENT_RETRIES = env.int("HTTP_CLIENT_RETRIES", default=3)
HTTP_CLIENT_BACKOFF_FACTOR = env.float("HTTP_CLIENT_BACKOFF_FACTOR", default=0.5)
HTTP_CLIENT_BACKOFF_MAX = env.float("HTTP_CLIENT_BACKOFF_MAX", default=10.0)
HTTP_CLIENT_POOL_MAXSIZE = env.int("HTTP_CLIENT_POOL_MAXSIZE", default=32)
HTTP_CLIENT_BREAKER_FAILURES = env.int("HTTP_CLIENT_BREAKER_FAILURES", default=5)
HTTP_CLIENT_BREAKER_RESET = env.float("HTTP_CLIENT_BREAKER_RESET", default=30.0)

# --- Health checks (healthchecks: /health, /ready) --------------------------------------------
# Other services /ready probes: {"user-service": "http://user-service:8001/health"} (env: JSON).
HEALTHCHECK_DEPENDENCIES = env.json("HEALTHCHECK_DEPENDENCIES", default={})
# Probe the default storage (write, read, delete) on /ready: True where the service keeps files.
HEALTHCHECK_STORAGE = env.bool("HEALTHCHECK_STORAGE", default=False)
# Seconds each /ready check may take; the whole answer comes within about this plus one second.
HEALTHCHECK_TIMEOUT = env.float("HEALTHCHECK_TIMEOUT", default=2.0)

# --- API conventions (apipatterns) ------------------------------------------------------------
# Plain DRF views get the envelope, problem+json errors, pagination, throttling and versioning
# from these settings; the root URLconf adds handler400/403/404/500 from apipatterns.handlers.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=20)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=64)
API_PROBLEM_TYPE_BASE = env.str("API_PROBLEM_TYPE_BASE", default="")
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["apipatterns.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apipatterns.parsers.JSONParser",
        "apipatterns.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apipatterns.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_THROTTLE_CLASSES": [
        "apipatterns.throttling.AnonRateThrottle",
        "apipatterns.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON_RATE", default="120/min"),
        "user": env.str("API_THROTTLE_USER_RATE", default="1200/min"),
    },
    # Proxies in front of the service: 0 = trust REMOTE_ADDR only (X-Forwarded-For is spoofable).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNICODE_JSON": True,
    "COMPACT_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": env.str("API_TITLE", default=SERVICE_NAME),
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apipatterns.openapi.envelope_postprocessing_hook",
    ],
}
