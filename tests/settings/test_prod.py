"""Production settings: clean deploy check with a real environment, loud failures without."""

from tests.settings.test_base import REAL_ENV, run_manage


def test_check_deploy_is_clean_under_prod_with_a_real_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**REAL_ENV, "DJANGO_SETTINGS_MODULE": "settings.prod"},
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_prod_fails_loudly_without_secret_key():
    result = run_manage(
        "check", env={"DJANGO_SETTINGS_MODULE": "settings.prod", "ALLOWED_HOSTS": "api.example.com"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_prod_refuses_the_development_key():
    result = run_manage(
        "check",
        env={
            "DJANGO_SETTINGS_MODULE": "settings.prod",
            "ALLOWED_HOSTS": "api.example.com",
            "SECRET_KEY": "django-insecure-dev-only-change-me",
        },
    )
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_prod_refuses_a_console_or_dummy_email_backend():
    for url in ("consolemail://", "dummymail://"):
        result = run_manage(
            "check", env={**REAL_ENV, "DJANGO_SETTINGS_MODULE": "settings.prod", "EMAIL_URL": url}
        )
        assert result.returncode != 0, url
        assert "accounts.E005" in result.stderr


def test_prod_takes_a_console_email_backend_only_when_a_setting_says_so():
    result = run_manage(
        "check",
        env={
            **REAL_ENV,
            "DJANGO_SETTINGS_MODULE": "settings.prod",
            "EMAIL_URL": "consolemail://",
            "EMAIL_ALLOW_CONSOLE_BACKEND": "True",
        },
    )
    assert result.returncode == 0, result.stderr
