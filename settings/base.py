"""Common settings, every value read from the environment with a documented default.

Services build on this module (``from settings.base import *``) and add their own apps and URLs.
Defaults are the embedded ones (SQLite, local-memory cache) so a fresh checkout runs as it is;
``.env.example`` lists every variable.
"""

from pathlib import Path

import environ

from shared_core.cache import fail_safe
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
    # An API session token is never a session cookie (accounts/middleware.py).
    "accounts.middleware.CookieSessionGuardMiddleware",
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

# A Redis outage degrades (logged; reads miss, writes dropped) instead of raising in every
# request that touches the cache: see shared_core/cache.py for what each feature does then.
CACHES = {"default": fail_safe(env.cache_url("CACHE_URL", default="locmemcache://"))}

# --- Email ----------------------------------------------------------------------------------
# Default: a development outbox, one file per message under EMAIL_FILE_PATH (var/mail/), read
# with `manage.py outbox`. Never the console: a reset link in a log is a live token for anyone
# who reads logs (accounts.E005 refuses console/dummy with DEBUG off unless
# EMAIL_ALLOW_CONSOLE_BACKEND is on). Production: EMAIL_URL=smtp://…
vars().update(env.email_url("EMAIL_URL", default="filemail://"))
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or str(BASE_DIR / "var" / "mail")
EMAIL_ALLOW_CONSOLE_BACKEND = env.bool("EMAIL_ALLOW_CONSOLE_BACKEND", default=False)
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
# DRF's own defaults (cookie SessionAuthentication + BasicAuthentication) would check passwords
# outside the lockout and take admin cookies on the API: the suite names its classes instead
# (session tokens and service tokens; accounts.W001 warns a service that leaves DRF's defaults).
# Opt-ins, off unless set: API_BASIC_AUTH, API_COOKIE_SESSION_AUTH.
API_BASIC_AUTH = env.bool("API_BASIC_AUTH", default=False)
API_COOKIE_SESSION_AUTH = env.bool("API_COOKIE_SESSION_AUTH", default=False)
API_AUTHENTICATION_CLASSES = [
    "accounts.authentication.ServiceTokenAuthentication",
    "accounts.authentication.SessionTokenAuthentication",
    *(["rest_framework.authentication.SessionAuthentication"] if API_COOKIE_SESSION_AUTH else []),
    *(["rest_framework.authentication.BasicAuthentication"] if API_BASIC_AUTH else []),
]
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": API_AUTHENTICATION_CLASSES,
    "DEFAULT_RENDERER_CLASSES": ["apipatterns.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apipatterns.parsers.JSONParser",
        "apipatterns.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apipatterns.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    # One throttle per request: "user" rate for authenticated principals, "anon" for the rest.
    "DEFAULT_THROTTLE_CLASSES": ["apipatterns.throttling.AnonOrUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON_RATE", default="120/min"),
        "user": env.str("API_THROTTLE_USER_RATE", default="1200/min"),
        # Failed session-token checks per client address on a consumer, counted before the
        # identity service is asked (accounts.authentication.FailedAuthenticationBudget).
        "auth_failure": env.str("API_THROTTLE_AUTH_FAILURE_RATE", default="30/min"),
        # Introspections per calling service and end client, on the identity service.
        "introspect": env.str("API_THROTTLE_INTROSPECT_RATE", default="600/min"),
    },
    # Proxies in front of the service: 0 = trust REMOTE_ADDR only (X-Forwarded-For is spoofable).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_SCHEMA_CLASS": "apipatterns.openapi.AutoSchema",
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

# --- Accounts (accounts app: users, sessions, roles, service tokens on django-allauth) ----------
AUTH_USER_MODEL = "accounts.User"
INSTALLED_APPS += [
    # allauth keys its per-email login-failure counter on the current site: a fixed Site (not
    # the request's Host header) keeps an attacker from resetting the counter by changing Host.
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.usersessions",
    "allauth.socialaccount",
]
MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]
SITE_ID = 1
# allauth's backend (a ModelBackend subclass: permissions work) logs in by email; ours puts every
# password check (the admin's login form too) behind allauth's login_failed lockout.
AUTHENTICATION_BACKENDS = ["accounts.allauth_bridge.AuthenticationBackend"]
# User.email is unique among *active* (not soft-deleted) users only, so that soft-deleting an
# account frees its email; Django's check only recognises unconditional uniqueness. Every login
# path looks users up through the active-only manager, so "unique" holds where it matters.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "accounts.allauth_bridge.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
# Tell users by email when their password was changed or reset.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.PasswordResetTokenGenerator"
# Number of reverse proxies in front of the service that append to X-Forwarded-For; 0 = ignore
# the header entirely (a client can write anything into it).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
HEADLESS_ONLY = True
HEADLESS_CLIENTS = ("app",)
HEADLESS_TOKEN_STRATEGY = "accounts.allauth_bridge.SessionTokenStrategy"
HEADLESS_FRONTEND_URLS = {
    "account_signup": env.str("ACCOUNTS_SIGNUP_URL", default="http://localhost:3000/signup"),
    "account_reset_password": env.str(
        "ACCOUNTS_PASSWORD_RESET_URL", default="http://localhost:3000/password/reset"
    ),
    "account_reset_password_from_key": env.str(
        "ACCOUNTS_PASSWORD_RESET_CONFIRM_URL",
        default="http://localhost:3000/password/reset/{key}",
    ),
    "account_confirm_email": env.str(
        "ACCOUNTS_CONFIRM_EMAIL_URL", default="http://localhost:3000/verify-email/{key}"
    ),
    "socialaccount_login_error": env.str(
        "ACCOUNTS_SOCIAL_ERROR_URL", default="http://localhost:3000/login/error"
    ),
}
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=1800)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=86400)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Callers this service trusts: "ticket-service=TOKEN,file-service=TOKEN" -> {name: token}.
ACCEPTED_SERVICE_TOKENS = env.dict("ACCEPTED_SERVICE_TOKENS", default={})
IDENTITY_SERVICE_URL = env.str("IDENTITY_SERVICE_URL", default="http://127.0.0.1:8001")
IDENTITY_CACHE_TTL = env.int("IDENTITY_CACHE_TTL", default=30)
# Cache alias of introspection answers and revocation markers; blank: "identity" when CACHES has
# one (the services share it: one Redis key prefix), else "default". See accounts.revocation.
IDENTITY_CACHE_ALIAS = env.str("IDENTITY_CACHE_ALIAS", default="") or None
# Seconds between reads of the user service's revocation feed per consumer process, which is also
# the revocation bound; blank: 2 with a local-memory identity cache, 0 (off: the user service
# writes revocations into the shared cache, refused at once) with Redis.
IDENTITY_REVOCATION_POLL_INTERVAL = (
    env.float("IDENTITY_REVOCATION_POLL_INTERVAL")
    if env.str("IDENTITY_REVOCATION_POLL_INTERVAL", default="")
    else None
)
# Social login (allauth.socialaccount): a provider is switched on when its client ID and secret
# are both set. Social logins never attach to an existing account just because the email matches.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
SOCIALACCOUNT_PROVIDERS: dict = {}
if GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET:
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}],
        "SCOPE": ["profile", "email"],
    }
if GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET:
    INSTALLED_APPS.append("allauth.socialaccount.providers.github")
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET, "key": ""}],
        "SCOPE": ["read:user", "user:email"],
    }
