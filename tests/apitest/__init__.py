"""Tests-only app: models and views that exercise apipatterns (installed by settings.test only)."""
