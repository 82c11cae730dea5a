"""Tests-only app holding the models the soft-delete tests run against."""

from django.apps import AppConfig


class SoftDeleteTestsConfig(AppConfig):
    """Installed by ``settings.test`` only."""

    name = "tests.softdelete"
    label = "softdelete"
    default_auto_field = "django.db.models.BigAutoField"
