"""Settings presets: a service's whole configuration from the environment, in a few lines.

A service's ``settings.py`` on the suite::

    from pathlib import Path

    from shared_core import presets

    globals().update(
        presets.service(
            "inventory-service",
            package="inventory",
            base_dir=Path(__file__).resolve().parent.parent,
            apps=["inventory"],
            consumer=True,
        )
    )

``DJANGO_ENV`` picks the environment: ``production`` (the default) or ``development``. Every
value is read with django-environ and a documented default (``.env.example`` lists them all);
``NAME_FILE`` reads ``NAME`` from a file instead (Docker and Kubernetes secrets, see
``docs/settings.md``). The presets live in ``shared_core`` because it is the layer every app
and service already depends on; they name the sibling apps only as dotted strings in
``INSTALLED_APPS``/``REST_FRAMEWORK``, as any settings module does, and import none of them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

from shared_core.cache import DJANGO_REDIS_BACKEND, FAIL_SAFE_BACKEND, fail_safe
from shared_core.logging_config import get_logging_config

__all__ = [
    "DEVELOPMENT",
    "DEVELOPMENT_SECRET_KEY",
    "ENVIRONMENTS",
    "PRODUCTION",
    "PRODUCTION_CONN_MAX_AGE",
    "cache_url",
    "common",
    "consumer_installed_apps",
    "consumer_rest_framework",
    "database",
    "development",
    "env",
    "environment",
    "for_environment",
    "persistent_connections",
    "production",
    "read_env_file",
    "service",
    "service_caches",
]

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (PRODUCTION, DEVELOPMENT)
#: The key development settings fall back to; production refuses it (and any short key).
DEVELOPMENT_SECRET_KEY = "django-insecure-dev-only-change-me"
_POSTGRES_ENGINE = "django.db.backends.postgresql"
_SQLITE_ENGINE = "django.db.backends.sqlite3"
_WHITENOISE = importlib.util.find_spec("whitenoise") is not None


class SecretFileMapping(FileAwareMapping):
    """``os.environ`` where ``NAME_FILE`` (a path) stands for ``NAME``, one final newline dropped.

    Secret files written with ``echo`` end with a newline that is not part of the secret.
    """

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value.removesuffix("\n").removesuffix("\r") if f"{key}_FILE" in self.env else value


class Env(environ.FileAwareEnv):
    """django-environ's ``FileAwareEnv``: ``SECRET_KEY_FILE=/run/secrets/key`` gives ``SECRET_KEY``.

    One final newline of a file is dropped.
    """

    # Not cached: a rotated secret file is read again the next time settings are built.
    ENVIRON = SecretFileMapping(cache=False)


#: The environment reader every preset uses; a service reads its own variables with it too.
env = Env()


def read_env_file(base_dir: Path | str) -> None:
    """Read ``ENV_FILE`` (default ``<base_dir>/.env``) when it exists; real variables win."""
    path = Path(env.str("ENV_FILE", default=str(Path(base_dir) / ".env")))
    if path.is_file():
        env.read_env(path)


def environment() -> str:
    """``DJANGO_ENV``: ``production`` (default) or ``development``; anything else is refused."""
    value = env.str("DJANGO_ENV", default=PRODUCTION).strip().lower() or PRODUCTION
    if value not in ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"DJANGO_ENV={value!r} is not an environment: use DJANGO_ENV=production or "
            "DJANGO_ENV=development."
        )
    return value


# --- Data -------------------------------------------------------------------------------------
#: Seconds a database connection is kept between requests under :func:`production` when neither
#: ``CONN_MAX_AGE`` nor ``?pool=true`` says otherwise (``CONN_HEALTH_CHECKS`` is always on).
PRODUCTION_CONN_MAX_AGE = 60
# Threads per gunicorn worker when GUNICORN_THREADS is unset (deploy/gunicorn.conf.py).
_DEFAULT_THREADS = 4


def database(
    default_url: str, *, url_variable: str = "DATABASE_URL", server: bool = False
) -> dict[str, Any]:
    """One ``DATABASES`` entry from ``DATABASE_URL`` (or ``default_url`` when unset or blank).

    - ``CONN_MAX_AGE`` (seconds; blank or unset: 0 here, :data:`PRODUCTION_CONN_MAX_AGE` once
      :func:`production` refines the settings) keeps each thread's connection between
      requests; ``CONN_HEALTH_CHECKS`` is on, so a connection the server dropped is replaced.
    - ``?pool=true`` (PostgreSQL, needs ``psycopg[pool]``: the ``postgres`` extra) turns on
      Django's connection pool instead, one per worker process, sized to its threads
      (``GUNICORN_THREADS``, default 4); pool connections are reused, so ``CONN_MAX_AGE`` must
      stay 0, and the pool checks each connection it hands out.
    - ``server=True`` (a service's own database): a SQLite file's directory is created, and
      SQLite gets WAL mode, ``BEGIN IMMEDIATE`` and a busy timeout, because a threaded server
      writing to one file otherwise fails with "database is locked" under concurrent requests.
    """
    url = env.str(url_variable, default="") or default_url
    config: dict[str, Any] = env.db_url_config(url)
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE") if _conn_max_age_set() else 0
    config["CONN_HEALTH_CHECKS"] = True
    options: dict[str, Any] = config.setdefault("OPTIONS", {})
    if "pool" in options:
        pool = _pool_option(options.pop("pool"), config["ENGINE"])
        if pool:
            if config["CONN_MAX_AGE"] != 0:
                raise ImproperlyConfigured(
                    f"{url_variable} asks for a connection pool (?pool=true) and CONN_MAX_AGE="
                    f"{config['CONN_MAX_AGE']}: Django's pool reuses connections itself and "
                    "needs CONN_MAX_AGE=0 (remove CONN_MAX_AGE, or drop ?pool=true)."
                )
            threads = env.int("GUNICORN_THREADS", default=_DEFAULT_THREADS)
            # Every thread of the worker can hold a connection at once, none waits for one.
            options["pool"] = {"min_size": 1, "max_size": max(1, threads)}
    if server and config["ENGINE"] == _SQLITE_ENGINE and config["NAME"] != ":memory:":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        for key, value in {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }.items():
            options.setdefault(key, value)
    if not options:
        del config["OPTIONS"]
    return config


def _conn_max_age_set() -> bool:
    return bool(env.str("CONN_MAX_AGE", default="").strip())


def persistent_connections(config: Mapping[str, Any]) -> dict[str, Any]:
    """A ``DATABASES`` entry whose connections outlive the request (production's default).

    ``CONN_MAX_AGE`` becomes :data:`PRODUCTION_CONN_MAX_AGE` unless the environment sets it or
    the entry uses Django's pool: opening a PostgreSQL connection per request costs more CPU
    than most requests themselves.
    """
    config = dict(config)
    if "pool" not in config.get("OPTIONS", {}) and not _conn_max_age_set():
        config["CONN_MAX_AGE"] = PRODUCTION_CONN_MAX_AGE
    return config


def _pool_option(value: Any, engine: str) -> bool:
    """``?pool=`` as Django wants it: ``True``/``False`` (the URL gives a string)."""
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        pool = True
    elif text in ("0", "false", "no", "off", ""):
        pool = False
    else:
        raise ImproperlyConfigured(f"DATABASE_URL: ?pool={value} is not true or false.")
    if pool and engine != _POSTGRES_ENGINE:
        raise ImproperlyConfigured(
            "DATABASE_URL: ?pool=true needs PostgreSQL (Django's pool is psycopg's)."
        )
    return pool


_REDIS_SCHEMES = ("redis", "rediss", "rediscache", "valkey", "valkeys")


def cache_url(url: str) -> dict[str, Any]:
    """A ``CACHES`` entry for a cache URL, with the suite's backend for Redis URLs.

    django-environ maps ``redis://`` to django-redis whenever django-redis is installed, which
    would silently drop :class:`shared_core.cache.FailSafeRedisCache` (outage fail-safe, one
    client per process, the throttles' one-round-trip counter). Redis URLs are parsed as for
    Django's backend (lower-case ``OPTIONS`` from the query string) and given the suite's
    backend explicitly, whatever else is installed; other URLs go through
    :func:`shared_core.cache.fail_safe` unchanged.
    """
    scheme = url.partition("://")[0].lower()
    if scheme in _REDIS_SCHEMES:
        config = env.cache_url_config(url, backend=DJANGO_REDIS_BACKEND)
        return {**config, "BACKEND": FAIL_SAFE_BACKEND}
    return fail_safe(env.cache_url_config(url))


def service_caches(service_name: str) -> dict[str, dict[str, Any]]:
    """``CACHES`` from ``CACHE_URL``: ``default`` prefixed by the service name, ``identity`` shared.

    The services may share one Redis database; the prefix keeps their own keys (throttle
    counters) apart. ``identity`` (cached introspections and revocation markers, see
    ``accounts.revocation``) has one prefix for all services, so the user service's revocations
    reach every consumer through it. A Redis outage degrades instead of raising
    (``shared_core.cache.fail_safe``).
    """
    config = cache_url(env.str("CACHE_URL", default="") or "locmemcache://")
    identity = {**config, "KEY_PREFIX": "identity"}
    if config.get("BACKEND", "").endswith("LocMemCache"):
        identity["LOCATION"] = "identity"
    config.setdefault("KEY_PREFIX", service_name)
    return {"default": config, "identity": identity}


def consumer_installed_apps(installed_apps: Iterable[str]) -> list[str]:
    """``INSTALLED_APPS`` of a service that is not the identity owner: the admin without the
    user service's models (users, roles, sessions, social accounts; ``accounts.admin_site``)."""
    return [
        "accounts.admin_site.ConsumerAdminConfig" if app == "django.contrib.admin" else app
        for app in installed_apps
    ]


def consumer_rest_framework(rest_framework: Mapping[str, Any]) -> dict[str, Any]:
    """``REST_FRAMEWORK`` for a service that is not the identity owner.

    A calling service's token is checked first (cheap, local), then the end user's session token
    through the identity service (one cached introspection call); every view needs one of them.
    """
    return {
        **rest_framework,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "accounts.authentication.ServiceTokenAuthentication",
            "accounts.authentication.RemoteSessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }


# --- The settings -----------------------------------------------------------------------------
def common(
    *,
    base_dir: Path | str,
    service_name: str,
    api_title: str | None = None,
    api_version: str = "v1",
    api_description: str = "",
) -> dict[str, Any]:
    """Every setting the four apps need, read from the environment with its default.

    Defaults are the embedded ones (SQLite file ``<base_dir>/db.sqlite3``, local-memory cache),
    DEBUG off, and the development ``SECRET_KEY``: :func:`production` and :func:`development`
    refine them. ``api_title`` (default: the service name), ``api_version`` and
    ``api_description`` head the OpenAPI schema (``/api/schema/``, ``/api/docs/``);
    ``API_TITLE`` overrides the title.
    """
    base_dir = Path(base_dir)
    s: dict[str, Any] = {"BASE_DIR": base_dir, "SERVICE_NAME": service_name}

    # --- Core ---------------------------------------------------------------------------------
    s["SECRET_KEY"] = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
    s["DEBUG"] = env.bool("DEBUG", default=False)
    s["ALLOWED_HOSTS"] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
    s["CSRF_TRUSTED_ORIGINS"] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    s["INSTALLED_APPS"] = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "rest_framework",
        "drf_spectacular",
        # Swagger UI's files for /api/docs/ (SPECTACULAR_SETTINGS below: "SIDECAR", no CDN).
        "drf_spectacular_sidecar",
        "health_check",
        "shared_core",
        "apipatterns",
        "accounts",
        "healthchecks",
        # allauth keys its per-email login-failure counter on the current site: a fixed Site (not
        # the request's Host header) keeps an attacker from resetting the counter by changing Host.
        "django.contrib.sites",
        "allauth",
        "allauth.account",
        "allauth.headless",
        "allauth.usersessions",
        "allauth.socialaccount",
    ]
    s["MIDDLEWARE"] = [
        "shared_core.request_id.RequestIDMiddleware",
        # apipatterns: one log line per request (sees the final status), then problem+json for
        # every error that does not come from a DRF view.
        "apipatterns.middleware.RequestLogMiddleware",
        "apipatterns.middleware.ProblemDetailsMiddleware",
        "django.middleware.security.SecurityMiddleware",
        # Serves collected static files from the app itself (the container has no separate
        # server); WhiteNoise comes with the ``server`` extra.
        *(["whitenoise.middleware.WhiteNoiseMiddleware"] if _WHITENOISE else []),
        "django.contrib.sessions.middleware.SessionMiddleware",
        # An API session token is never a session cookie (accounts/middleware.py).
        "accounts.middleware.CookieSessionGuardMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "allauth.account.middleware.AccountMiddleware",
    ]
    s["TEMPLATES"] = [
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

    # --- Data ---------------------------------------------------------------------------------
    s["DATABASES"] = {"default": database(f"sqlite:///{base_dir / 'db.sqlite3'}")}
    s["DEFAULT_AUTO_FIELD"] = "django.db.models.BigAutoField"
    # A Redis outage degrades (logged; reads miss, writes dropped) instead of raising in every
    # request that touches the cache: see shared_core/cache.py for what each feature does then.
    s["CACHES"] = {"default": cache_url(env.str("CACHE_URL", default="") or "locmemcache://")}

    # --- Email --------------------------------------------------------------------------------
    # Default: a development outbox, one file per message under EMAIL_FILE_PATH (var/mail/), read
    # with `manage.py outbox`. Never the console: a reset link in a log is a live token for anyone
    # who reads logs (accounts.E005 refuses console/dummy with DEBUG off unless
    # EMAIL_ALLOW_CONSOLE_BACKEND is on). Production: EMAIL_URL=smtp://…
    s.update(env.email_url("EMAIL_URL", default="filemail://"))
    if s["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        # One file per connection in sending order (Django's names can collide within a second).
        s["EMAIL_BACKEND"] = "accounts.mail.OutboxEmailBackend"
    s["EMAIL_FILE_PATH"] = env.str("EMAIL_FILE_PATH", default="") or str(base_dir / "var" / "mail")
    s["EMAIL_ALLOW_CONSOLE_BACKEND"] = env.bool("EMAIL_ALLOW_CONSOLE_BACKEND", default=False)
    s["DEFAULT_FROM_EMAIL"] = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")

    # --- Internationalisation, static and media files -----------------------------------------
    s["LANGUAGE_CODE"] = env.str("LANGUAGE_CODE", default="en-us")
    s["TIME_ZONE"] = "UTC"
    s["USE_I18N"] = True
    s["USE_TZ"] = True
    s["STATIC_URL"] = env.str("STATIC_URL", default="/static/")
    s["STATIC_ROOT"] = Path(env.str("STATIC_ROOT", default=str(base_dir / "staticfiles")))
    s["MEDIA_URL"] = env.str("MEDIA_URL", default="/media/")
    s["MEDIA_ROOT"] = Path(env.str("MEDIA_ROOT", default=str(base_dir / "media")))
    s["DATA_UPLOAD_MAX_MEMORY_SIZE"] = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

    # --- Logging ------------------------------------------------------------------------------
    s["LOG_LEVEL"] = env.str("LOG_LEVEL", default="INFO").upper()
    s["LOG_FORMAT"] = env.str("LOG_FORMAT", default="text").lower()
    s["LOGGING"] = get_logging_config(service_name, s["LOG_LEVEL"], s["LOG_FORMAT"])

    # --- Inter-service calls (shared_core.http.HTTPClient) -------------------------------------
    # The token this service sends when it calls another service (``Authorization: Bearer …``).
    s["SERVICE_AUTH_TOKEN"] = env.str("SERVICE_AUTH_TOKEN", default="").strip()
    s["HTTP_CLIENT_CONNECT_TIMEOUT"] = env.float("HTTP_CLIENT_CONNECT_TIMEOUT", default=3.05)
    s["HTTP_CLIENT_READ_TIMEOUT"] = env.float("HTTP_CLIENT_READ_TIMEOUT", default=10.0)
    s["HTTP_CLIENT_DEADLINE"] = env.float("HTTP_CLIENT_DEADLINE", default=30.0)
    s["HTTP_CLIENT_RETRIES"] = env.int("HTTP_CLIENT_RETRIES", default=3)
    s["HTTP_CLIENT_BACKOFF_FACTOR"] = env.float("HTTP_CLIENT_BACKOFF_FACTOR", default=0.5)
    s["HTTP_CLIENT_BACKOFF_MAX"] = env.float("HTTP_CLIENT_BACKOFF_MAX", default=10.0)
    s["HTTP_CLIENT_POOL_MAXSIZE"] = env.int("HTTP_CLIENT_POOL_MAXSIZE", default=32)
    s["HTTP_CLIENT_BREAKER_FAILURES"] = env.int("HTTP_CLIENT_BREAKER_FAILURES", default=5)
    s["HTTP_CLIENT_BREAKER_RESET"] = env.float("HTTP_CLIENT_BREAKER_RESET", default=30.0)

    # --- Health checks (healthchecks: /health, /ready) ----------------------------------------
    # Other services /ready probes: {"user-service": "http://user-service:8001/health"} (JSON).
    s["HEALTHCHECK_DEPENDENCIES"] = env.json("HEALTHCHECK_DEPENDENCIES", default={})
    # Probe the default storage (write, read, delete) on /ready: True where the service keeps files.
    s["HEALTHCHECK_STORAGE"] = env.bool("HEALTHCHECK_STORAGE", default=False)
    # Seconds each /ready check may take; the whole answer comes within about this plus one second.
    s["HEALTHCHECK_TIMEOUT"] = env.float("HEALTHCHECK_TIMEOUT", default=2.0)

    # --- API conventions (apipatterns) --------------------------------------------------------
    # Plain DRF views get the envelope, problem+json errors, pagination, throttling and
    # versioning; the root URLconf adds handler400/403/404/500 from apipatterns.handlers.
    s["API_PAGE_SIZE"] = env.int("API_PAGE_SIZE", default=20)
    s["API_MAX_PAGE_SIZE"] = env.int("API_MAX_PAGE_SIZE", default=100)
    s["API_MAX_JSON_DEPTH"] = env.int("API_MAX_JSON_DEPTH", default=64)
    s["API_PROBLEM_TYPE_BASE"] = env.str("API_PROBLEM_TYPE_BASE", default="")
    # DRF's own defaults (cookie SessionAuthentication + BasicAuthentication) would check
    # passwords outside the lockout and take admin cookies on the API: the suite names its
    # classes instead (session tokens and service tokens; accounts.W001 warns a service that
    # leaves DRF's defaults). Opt-ins, off unless set: API_BASIC_AUTH, API_COOKIE_SESSION_AUTH.
    s["API_BASIC_AUTH"] = env.bool("API_BASIC_AUTH", default=False)
    s["API_COOKIE_SESSION_AUTH"] = env.bool("API_COOKIE_SESSION_AUTH", default=False)
    s["API_AUTHENTICATION_CLASSES"] = [
        "accounts.authentication.ServiceTokenAuthentication",
        "accounts.authentication.SessionTokenAuthentication",
        *(
            ["rest_framework.authentication.SessionAuthentication"]
            if s["API_COOKIE_SESSION_AUTH"]
            else []
        ),
        *(["rest_framework.authentication.BasicAuthentication"] if s["API_BASIC_AUTH"] else []),
    ]
    s["REST_FRAMEWORK"] = {
        "EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler",
        "DEFAULT_AUTHENTICATION_CLASSES": s["API_AUTHENTICATION_CLASSES"],
        "DEFAULT_RENDERER_CLASSES": ["apipatterns.renderers.EnvelopeJSONRenderer"],
        "DEFAULT_PARSER_CLASSES": [
            "apipatterns.parsers.JSONParser",
            "apipatterns.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "DEFAULT_PAGINATION_CLASS": "apipatterns.pagination.PageNumberPagination",
        "PAGE_SIZE": s["API_PAGE_SIZE"],
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
        # Proxies in front: 0 = trust REMOTE_ADDR only (X-Forwarded-For is spoofable).
        "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
        "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
        "DEFAULT_VERSION": "v1",
        "ALLOWED_VERSIONS": ["v1"],
        "DEFAULT_SCHEMA_CLASS": "apipatterns.openapi.AutoSchema",
        "UNICODE_JSON": True,
        "COMPACT_JSON": True,
    }
    s["SPECTACULAR_SETTINGS"] = {
        "TITLE": env.str("API_TITLE", default="") or api_title or service_name,
        "VERSION": api_version,
        "DESCRIPTION": api_description,
        "SERVE_INCLUDE_SCHEMA": False,
        # /api/docs/ serves Swagger UI from drf_spectacular_sidecar's static files: no CDN.
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "apipatterns.openapi.envelope_postprocessing_hook",
        ],
    }

    # --- Accounts (users, sessions, roles and service tokens on django-allauth) ---------------
    s["AUTH_USER_MODEL"] = "accounts.User"
    s["SITE_ID"] = 1
    # allauth's backend (a ModelBackend subclass: permissions work) logs in by email; ours sends
    # every password check (admin form, Basic, any authenticate() call) through allauth's lockout.
    s["AUTHENTICATION_BACKENDS"] = ["accounts.allauth_bridge.AuthenticationBackend"]
    # User.email is unique among *active* (not soft-deleted) users only, so that soft-deleting an
    # account frees its email; Django's check only recognises unconditional uniqueness. Every
    # login path looks users up through the active-only manager.
    s["SILENCED_SYSTEM_CHECKS"] = ["auth.E003", "auth.W004"]
    s["AUTH_PASSWORD_VALIDATORS"] = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
        },
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
    s["ACCOUNT_ADAPTER"] = "accounts.allauth_bridge.AccountAdapter"
    s["ACCOUNT_LOGIN_METHODS"] = {"email"}
    s["ACCOUNT_SIGNUP_FIELDS"] = ["email*", "password1*"]
    s["ACCOUNT_USER_MODEL_USERNAME_FIELD"] = None
    s["ACCOUNT_UNIQUE_EMAIL"] = True
    s["ACCOUNT_PREVENT_ENUMERATION"] = True
    s["ACCOUNT_EMAIL_VERIFICATION"] = "none"
    s["ACCOUNT_LOGIN_ON_PASSWORD_RESET"] = False
    s["ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE"] = True
    # Tell users by email when their password was changed or reset.
    s["ACCOUNT_EMAIL_NOTIFICATIONS"] = True
    s["ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR"] = "accounts.tokens.PasswordResetTokenGenerator"
    # Reverse proxies in front of the service that append to X-Forwarded-For; 0 = ignore the
    # header entirely (a client can write anything into it).
    s["ALLAUTH_TRUSTED_PROXY_COUNT"] = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
    s["HEADLESS_ONLY"] = True
    s["HEADLESS_CLIENTS"] = ("app",)
    s["HEADLESS_TOKEN_STRATEGY"] = "accounts.allauth_bridge.SessionTokenStrategy"
    s["HEADLESS_FRONTEND_URLS"] = {
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
    s["PASSWORD_RESET_TIMEOUT"] = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
    s["SESSION_IDLE_TIMEOUT"] = env.int("SESSION_IDLE_TIMEOUT", default=1800)
    s["SESSION_ABSOLUTE_TIMEOUT"] = env.int("SESSION_ABSOLUTE_TIMEOUT", default=86400)
    s["SESSION_COOKIE_AGE"] = s["SESSION_ABSOLUTE_TIMEOUT"]
    # Callers this service trusts: "ticket-service=TOKEN,file-service=TOKEN" -> {name: token}.
    s["ACCEPTED_SERVICE_TOKENS"] = {
        name.strip(): token.strip()
        for name, token in env.dict("ACCEPTED_SERVICE_TOKENS", default={}).items()
    }
    s["IDENTITY_SERVICE_URL"] = env.str("IDENTITY_SERVICE_URL", default="http://127.0.0.1:8001")
    s["IDENTITY_CACHE_TTL"] = env.int("IDENTITY_CACHE_TTL", default=30)
    # Cache alias of introspection answers and revocation markers; blank: "identity" when CACHES
    # has one (the services share it: one Redis key prefix), else "default".
    s["IDENTITY_CACHE_ALIAS"] = env.str("IDENTITY_CACHE_ALIAS", default="") or None
    # Seconds between reads of the user service's revocation feed per consumer process, which is
    # also the revocation bound; blank: 2 with a local-memory identity cache, 0 (off: the user
    # service writes revocations into the shared cache, refused at once) with Redis.
    poll = env.str("IDENTITY_REVOCATION_POLL_INTERVAL", default="")
    s["IDENTITY_REVOCATION_POLL_INTERVAL"] = (
        env.float("IDENTITY_REVOCATION_POLL_INTERVAL") if poll else None
    )
    # Social login (allauth.socialaccount): a provider is switched on when its client ID and
    # secret are both set. Social logins never attach to an existing account by email alone.
    s["SOCIALACCOUNT_EMAIL_AUTHENTICATION"] = False
    s["SOCIALACCOUNT_PROVIDERS"] = {}
    providers = {
        "google": (
            env.str("GOOGLE_CLIENT_ID", default=""),
            env.str("GOOGLE_CLIENT_SECRET", default=""),
            ["profile", "email"],
        ),
        "github": (
            env.str("GITHUB_CLIENT_ID", default=""),
            env.str("GITHUB_CLIENT_SECRET", default=""),
            ["read:user", "user:email"],
        ),
    }
    for provider, (client_id, secret, scope) in providers.items():
        s[f"{provider.upper()}_CLIENT_ID"] = client_id
        s[f"{provider.upper()}_CLIENT_SECRET"] = secret
        if client_id and secret:
            s["INSTALLED_APPS"].append(f"allauth.socialaccount.providers.{provider}")
            s["SOCIALACCOUNT_PROVIDERS"][provider] = {
                "APPS": [{"client_id": client_id, "secret": secret, "key": ""}],
                "SCOPE": scope,
            }
    return s


def development(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` for a developer's machine: DEBUG on, DEBUG-level readable logs.

    Any ``SECRET_KEY`` (the development one by default) and the console email backend are
    accepted here, never in :func:`production`.
    """
    s = dict(settings)
    s["DEBUG"] = env.bool("DEBUG", default=True)
    s["LOG_LEVEL"] = env.str("LOG_LEVEL", default="DEBUG").upper()
    s["LOG_FORMAT"] = env.str("LOG_FORMAT", default="text").lower()
    s["LOGGING"] = get_logging_config(s["SERVICE_NAME"], s["LOG_LEVEL"], s["LOG_FORMAT"])
    return s


def production(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` hardened for production; what cannot be right there raises at start-up.

    Refused: a missing, development or short ``SECRET_KEY``; ``DEBUG=True``; no
    ``ALLOWED_HOSTS``. On: HTTPS redirect (health probes exempt), HSTS, secure cookies, hashed
    static files, JSON logs, database connections kept between requests
    (:func:`persistent_connections`). ``manage.py check --deploy --fail-level WARNING`` is clean.
    """
    s = dict(settings)
    secret_key = env.str("SECRET_KEY", default="").strip()
    if not secret_key:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: production settings need a real secret key in the environment "
            "(SECRET_KEY=… or SECRET_KEY_FILE=/run/secrets/secret_key; generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    if secret_key.startswith("django-insecure") or len(secret_key) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production: use at least 50 random characters, not the "
            "development key (or run with DJANGO_ENV=development)."
        )
    s["SECRET_KEY"] = secret_key
    # Connections kept between requests (CONN_MAX_AGE=60, or ?pool=true), health-checked.
    s["DATABASES"] = {
        alias: persistent_connections(config) for alias, config in s["DATABASES"].items()
    }
    if env.bool("DEBUG", default=False):
        raise ImproperlyConfigured(
            "DEBUG=True under DJANGO_ENV=production: remove DEBUG (or set DEBUG=False); "
            "debug pages leak settings and source. Use DJANGO_ENV=development to debug."
        )
    s["DEBUG"] = False
    s["ALLOWED_HOSTS"] = env.list("ALLOWED_HOSTS")

    # HTTPS: the TLS-terminating proxy sets X-Forwarded-Proto.
    s["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    s["SECURE_SSL_REDIRECT"] = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Health probes come over plain HTTP from inside the cluster.
    s["SECURE_REDIRECT_EXEMPT"] = [r"^health$", r"^ready$"]
    s["SECURE_HSTS_SECONDS"] = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    s["SECURE_HSTS_PRELOAD"] = env.bool("SECURE_HSTS_PRELOAD", default=True)
    s["SECURE_CONTENT_TYPE_NOSNIFF"] = True
    s["SECURE_REFERRER_POLICY"] = "same-origin"
    s["SESSION_COOKIE_SECURE"] = True
    s["CSRF_COOKIE_SECURE"] = True
    s["SESSION_COOKIE_HTTPONLY"] = True
    s["X_FRAME_OPTIONS"] = "DENY"
    # Hashed, compressed static files (collectstatic runs when the image is built), served by
    # WhiteNoise with far-future cache headers (Django's hashed storage without the extra).
    s["STORAGES"] = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _WHITENOISE
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }
    s["LOG_LEVEL"] = env.str("LOG_LEVEL", default="INFO").upper()
    s["LOG_FORMAT"] = env.str("LOG_FORMAT", default="json").lower()
    s["LOGGING"] = get_logging_config(s["SERVICE_NAME"], s["LOG_LEVEL"], s["LOG_FORMAT"])
    return s


def for_environment(settings: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """``settings`` refined for ``name`` (default: :func:`environment`, i.e. ``DJANGO_ENV``)."""
    name = name or environment()
    s = production(settings) if name == PRODUCTION else development(settings)
    s["DJANGO_ENV"] = name
    return s


def service(
    name: str,
    *,
    package: str,
    base_dir: Path | str,
    apps: Iterable[str] = (),
    consumer: bool = False,
    database_name: str | None = None,
    env_name: str | None = None,
    api_title: str | None = None,
    api_version: str = "v1",
    api_description: str = "",
) -> dict[str, Any]:
    """The complete settings of one service, for ``DJANGO_ENV`` (or ``env_name``).

    ``name`` is the service's own name (log lines, User-Agent, cache key prefix, API title);
    ``package`` holds its ``urls`` and ``wsgi`` modules; ``apps`` are its own Django apps.
    ``consumer=True`` for a service that is not the identity owner: end users authenticate
    with the identity service's session tokens (``IDENTITY_SERVICE_URL``), and
    ``SERVICE_AUTH_TOKEN`` is required (system check ``accounts.E006``). The database is
    ``DATABASE_URL``, else ``<base_dir>/var/<database_name>.sqlite3`` (default: the name
    without ``-service``). ``api_title``, ``api_version`` and ``api_description`` head its
    OpenAPI schema (:func:`common`).
    """
    base_dir = Path(base_dir)
    read_env_file(base_dir)
    s = common(
        base_dir=base_dir,
        service_name=name,
        api_title=api_title,
        api_version=api_version,
        api_description=api_description,
    )
    slug = database_name or name.removesuffix("-service")
    s["DATABASES"] = {
        "default": database(f"sqlite:///{base_dir / 'var' / f'{slug}.sqlite3'}", server=True)
    }
    s["CACHES"] = service_caches(name)
    s["INSTALLED_APPS"] = [*s["INSTALLED_APPS"], *apps]
    s["ROOT_URLCONF"] = f"{package}.urls"
    s["WSGI_APPLICATION"] = f"{package}.wsgi.application"
    if consumer:
        s["INSTALLED_APPS"] = consumer_installed_apps(s["INSTALLED_APPS"])
        s["REST_FRAMEWORK"] = consumer_rest_framework(s["REST_FRAMEWORK"])
        # client_for("user-service") finds the identity service where authentication does.
        s["SERVICE_URL_SETTINGS"] = {"user-service": "IDENTITY_SERVICE_URL"}
    return for_environment(s, env_name)
