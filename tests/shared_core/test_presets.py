"""shared_core.presets: DJANGO_ENV, production refusals, secrets from files, the pool option."""

import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured

from services.runner import USER, Stack, free_ports
from shared_core import presets
from tests.stack_support import recreate_postgres_database

STRONG_KEY = "s" * 30 + "-a-real-production-secret-key-0123456789"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    """No variable the presets read comes from the test run's own environment."""
    for name in (
        "DJANGO_ENV",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CONN_MAX_AGE",
        "GUNICORN_THREADS",
        "SERVICE_AUTH_TOKEN",
        "ACCEPTED_SERVICE_TOKENS",
        "ENV_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("ENV_FILE", "/nonexistent/.env")
    return monkeypatch


def build(**kwargs):
    return presets.service(
        "inventory-service", package="inventory", base_dir=ROOT, apps=["inventory"], **kwargs
    )


def test_production_is_the_environment_when_django_env_is_unset(clean_env):
    assert presets.environment() == "production"
    clean_env.setenv("DJANGO_ENV", "development")
    assert presets.environment() == "development"


def test_an_unknown_django_env_is_refused_naming_the_choices(clean_env):
    clean_env.setenv("DJANGO_ENV", "staging")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV=production or DJANGO_ENV=dev"):
        presets.environment()


def test_development_runs_on_the_development_key_with_debug_on(clean_env):
    clean_env.setenv("DJANGO_ENV", "development")
    settings = build()
    assert settings["DJANGO_ENV"] == "development"
    assert settings["SECRET_KEY"] == presets.DEVELOPMENT_SECRET_KEY
    assert settings["DEBUG"] is True
    assert "SECURE_SSL_REDIRECT" not in settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": presets.DEVELOPMENT_SECRET_KEY}, "too weak"),
        ({"SECRET_KEY": "short-but-not-the-dev-key"}, "too weak"),
        ({"SECRET_KEY": STRONG_KEY, "DEBUG": "True"}, "DEBUG=True under DJANGO_ENV=production"),
        ({"SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_what_is_unsafe_there(clean_env, env, message):
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        build()


def test_production_with_a_real_environment_is_hardened(clean_env):
    clean_env.setenv("SECRET_KEY", STRONG_KEY)
    clean_env.setenv("ALLOWED_HOSTS", "api.example.com")
    settings = build()
    assert settings["DJANGO_ENV"] == "production"
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["api.example.com"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is settings["CSRF_COOKIE_SECURE"] is True
    assert settings["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_a_service_gets_its_name_apps_urls_and_own_database(clean_env):
    clean_env.setenv("DJANGO_ENV", "development")
    clean_env.delenv("DATABASE_URL")
    settings = build(consumer=True)
    assert settings["SERVICE_NAME"] == "inventory-service"
    assert settings["INSTALLED_APPS"][-1] == "inventory"
    assert settings["ROOT_URLCONF"] == "inventory.urls"
    assert settings["WSGI_APPLICATION"] == "inventory.wsgi.application"
    assert settings["DATABASES"]["default"]["NAME"] == str(ROOT / "var" / "inventory.sqlite3")
    assert settings["CACHES"]["default"]["KEY_PREFIX"] == "inventory-service"
    assert settings["SPECTACULAR_SETTINGS"]["TITLE"] == "inventory-service"
    assert settings["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"][-1] == (
        "accounts.authentication.RemoteSessionAuthentication"
    )


def test_a_service_names_its_api_and_serves_its_docs_page_without_a_cdn(clean_env):
    clean_env.setenv("DJANGO_ENV", "development")
    clean_env.delenv("API_TITLE", raising=False)
    settings = build(
        api_title="Inventory API", api_version="2.1.0", api_description="Widgets in stock."
    )
    spectacular = settings["SPECTACULAR_SETTINGS"]
    assert (spectacular["TITLE"], spectacular["VERSION"], spectacular["DESCRIPTION"]) == (
        "Inventory API",
        "2.1.0",
        "Widgets in stock.",
    )
    assert "drf_spectacular_sidecar" in settings["INSTALLED_APPS"]
    for key in ("SWAGGER_UI_DIST", "SWAGGER_UI_FAVICON_HREF", "REDOC_DIST"):
        assert spectacular[key] == "SIDECAR"
    clean_env.setenv("API_TITLE", "Stock")
    assert build(api_title="Inventory API")["SPECTACULAR_SETTINGS"]["TITLE"] == "Stock"


# --- Secrets from files ---------------------------------------------------------------------
def test_secrets_come_from_files_named_by_the_file_variables(clean_env, tmp_path):
    files = {
        "SECRET_KEY": STRONG_KEY + "\n",  # `echo key > file` adds a newline: not part of it
        "DATABASE_URL": "postgres://svc:s3cret@db:5432/inventory\n",
        "SERVICE_AUTH_TOKEN": "token-from-a-file",
        "ACCEPTED_SERVICE_TOKENS": "ticket-service=t1,file-service=t2\n",
    }
    for name, content in files.items():
        path = tmp_path / name.lower()
        path.write_text(content)
        clean_env.setenv(f"{name}_FILE", str(path))
    clean_env.delenv("DATABASE_URL")
    clean_env.setenv("ALLOWED_HOSTS", "api.example.com")
    settings = build()
    assert settings["SECRET_KEY"] == STRONG_KEY
    database = settings["DATABASES"]["default"]
    assert (database["USER"], database["PASSWORD"], database["NAME"]) == (
        "svc",
        "s3cret",
        "inventory",
    )
    assert settings["SERVICE_AUTH_TOKEN"] == "token-from-a-file"
    assert settings["ACCEPTED_SERVICE_TOKENS"] == {"ticket-service": "t1", "file-service": "t2"}


def test_a_secret_file_is_read_again_when_settings_are_built_again(clean_env, tmp_path):
    secret = tmp_path / "token"
    clean_env.setenv("SERVICE_AUTH_TOKEN_FILE", str(secret))
    clean_env.setenv("DJANGO_ENV", "development")
    secret.write_text("first")
    assert build()["SERVICE_AUTH_TOKEN"] == "first"
    secret.write_text("rotated")
    assert build()["SERVICE_AUTH_TOKEN"] == "rotated"


def test_a_missing_secret_file_fails_loudly(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError):
        build()


# --- Database connections: CONN_MAX_AGE, DATABASE_URL ?pool= ---------------------------------
def production_database(clean_env, url="postgres://u@db:5432/x", **env):
    clean_env.setenv("SECRET_KEY", STRONG_KEY)
    clean_env.setenv("ALLOWED_HOSTS", "api.example.com")
    clean_env.setenv("DATABASE_URL", url)
    for name, value in env.items():
        clean_env.setenv(name, value)
    return build()["DATABASES"]["default"]


def test_production_keeps_connections_between_requests_with_health_checks(clean_env):
    config = production_database(clean_env)
    assert config["CONN_MAX_AGE"] == presets.PRODUCTION_CONN_MAX_AGE == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert "OPTIONS" not in config


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("300", 300), ("", 60)])
def test_conn_max_age_chooses_how_long_production_keeps_a_connection(clean_env, value, expected):
    # 0 is the old behaviour (a new connection per request); blank is the default.
    config = production_database(clean_env, CONN_MAX_AGE=value)
    assert config["CONN_MAX_AGE"] == expected
    assert config["CONN_HEALTH_CHECKS"] is True


def test_development_opens_a_connection_per_request_unless_told(clean_env):
    clean_env.setenv("DJANGO_ENV", "development")
    assert build()["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    clean_env.setenv("CONN_MAX_AGE", "30")
    assert build()["DATABASES"]["default"]["CONN_MAX_AGE"] == 30


def test_pool_true_in_production_is_djangos_pool_sized_to_the_workers_threads(clean_env):
    config = production_database(
        clean_env, "postgres://u@db:5432/x?pool=true", GUNICORN_THREADS="8"
    )
    assert config["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 8}}
    # Django refuses a pool with CONN_MAX_AGE; the pool checks connections itself
    # (CONN_HEALTH_CHECKS=True is what makes Django give it psycopg's check).
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_pool_true_in_the_url_turns_on_djangos_pool(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://u@db:5432/x?pool=true&sslmode=require")
    config = presets.database("sqlite:///unused.sqlite3")
    assert config["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 4}, "sslmode": "require"}
    assert config["CONN_MAX_AGE"] == 0


def test_pool_false_in_the_url_leaves_the_pool_off(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://u@db:5432/x?pool=false")
    assert "OPTIONS" not in presets.database("sqlite:///unused.sqlite3")


@pytest.mark.parametrize(
    ("url", "conn_max_age", "message"),
    [
        ("postgres://u@db/x?pool=true", "60", "needs CONN_MAX_AGE=0"),
        ("sqlite:////tmp/x.sqlite3?pool=true", None, "needs PostgreSQL"),
        ("postgres://u@db/x?pool=maybe", None, "is not true or false"),
    ],
)
def test_a_pool_that_cannot_work_is_refused_with_the_reason(clean_env, url, conn_max_age, message):
    clean_env.setenv("DATABASE_URL", url)
    if conn_max_age:
        clean_env.setenv("CONN_MAX_AGE", conn_max_age)
    with pytest.raises(ImproperlyConfigured, match=message):
        presets.database("sqlite:///unused.sqlite3")


def test_only_a_services_own_sqlite_file_gets_its_directory_and_server_tuning(clean_env, tmp_path):
    clean_env.delenv("DATABASE_URL")
    plain = presets.database(f"sqlite:///{tmp_path / 'plain' / 'db.sqlite3'}")
    assert "OPTIONS" not in plain
    assert not (tmp_path / "plain").exists()
    served = presets.database(f"sqlite:///{tmp_path / 'served' / 'db.sqlite3'}", server=True)
    assert served["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert (tmp_path / "served").is_dir()


@pytest.fixture
def django_redis_installed(monkeypatch):
    """django-environ as it is when django-redis is importable: ``redis://`` -> django_redis."""
    import environ

    schemes = dict(environ.Env.CACHE_SCHEMES)
    for scheme in ("redis", "rediss", "rediscache"):
        schemes[scheme] = "django_redis.cache.RedisCache"
    monkeypatch.setattr(environ.Env, "CACHE_SCHEMES", schemes)


@pytest.mark.parametrize("with_django_redis", [False, True])
def test_redis_cache_urls_get_the_suites_backend_whatever_is_installed(
    clean_env, request, with_django_redis
):
    if with_django_redis:
        request.getfixturevalue("django_redis_installed")
    clean_env.setenv("DJANGO_ENV", "development")
    clean_env.setenv("CACHE_URL", "redis://cache:6379/2?socket_timeout=2")
    for config in (*build()["CACHES"].values(), *build(consumer=True)["CACHES"].values()):
        assert config["BACKEND"] == "shared_core.cache.FailSafeRedisCache"
        assert config["LOCATION"] == "redis://cache:6379/2"
        assert config["OPTIONS"] == {"socket_timeout": 2}  # redis-py's lower-case names
    assert presets.cache_url("rediss://cache:6380/0")["BACKEND"] == presets.FAIL_SAFE_BACKEND
    local = presets.cache_url("locmemcache://")
    assert local["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


# --- the production default against a real PostgreSQL, under gunicorn ---------------------------
@pytest.fixture(scope="module")
def user_service_on_postgres(tmp_path_factory):
    """The user service (gunicorn, one thread) on production settings and its own database."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    url = urlunsplit(parts._replace(path=f"{parts.path}_connreuse", query=""))
    recreate_postgres_database(url)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        USER_SERVICE_DATABASE_URL=url,
        ACCEPTED_SERVICE_TOKENS="ticket-service=tk-connreuse",
        LOG_LEVEL="WARNING",
    )
    data = tmp_path_factory.mktemp("connreuse")
    stack = Stack(
        services=(USER,),
        ports={USER.name: free_ports(1)[0]},
        data_dir=data,
        env=env,
        output=open(os.devnull, "w"),  # noqa: SIM115 - lives as long as the stack
        threads=1,
    )
    stack.claim()
    try:
        stack.prepare(seed=False)
        yield stack, url
    finally:
        stack.stop()
        stack.release()


def backend_pids(url: str) -> set[int]:
    """The PostgreSQL backends connected to ``url``'s database (not this test's own)."""
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [parts.path.lstrip("/")]
        ).fetchall()
    return {pid for (pid,) in rows}


def pids_after_a_request(stack, url: str, *, settle: bool) -> set[int]:
    """Make one request that queries the database; the backends connected after it."""
    request = urllib.request.Request(
        f"{stack.url(USER.name)}/api/v1/users/{uuid.uuid4()}",
        headers={"Authorization": "Bearer tk-connreuse"},
    )
    with pytest.raises(urllib.error.HTTPError) as answer:  # an unknown user: looked up, 404
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == 404
    # The connection is closed (or kept) when the response is closed, just after it is sent.
    deadline = time.monotonic() + 5
    pids = backend_pids(url)
    while settle and pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = backend_pids(url)
    return pids


@pytest.mark.postgres_only
@pytest.mark.e2e
@pytest.mark.parametrize(
    ("mode", "env"),
    [
        ("CONN_MAX_AGE default", {}),
        ("pool", {"pool": "true"}),
        ("CONN_MAX_AGE=0", {"CONN_MAX_AGE": "0"}),
    ],
)
def test_production_settings_reuse_one_postgresql_connection_across_requests(
    user_service_on_postgres, mode, env
):
    stack, url = user_service_on_postgres
    stack.stop()
    stack.base_env.pop("CONN_MAX_AGE", None)
    stack.base_env["USER_SERVICE_DATABASE_URL"] = url + ("?pool=true" if "pool" in env else "")
    if "CONN_MAX_AGE" in env:
        stack.base_env["CONN_MAX_AGE"] = env["CONN_MAX_AGE"]
    stack.start()

    reused = "CONN_MAX_AGE" not in env
    first = pids_after_a_request(stack, url, settle=not reused)
    second = pids_after_a_request(stack, url, settle=not reused)

    if reused:
        # One worker thread: one backend, the same one for both requests.
        assert len(first) == 1, (mode, first)
        assert second == first, (mode, first, second)
    else:
        # The old behaviour, for contrast: nothing stays connected between requests.
        assert first == second == set(), (mode, first, second)


def test_a_consumer_finds_the_user_service_where_authentication_does(clean_env):
    clean_env.setenv("DJANGO_ENV", "development")
    consumer = build(consumer=True)
    assert consumer["SERVICE_URL_SETTINGS"] == {"user-service": "IDENTITY_SERVICE_URL"}
    assert consumer["IDENTITY_SERVICE_URL"]
    assert "SERVICE_URL_SETTINGS" not in build()
