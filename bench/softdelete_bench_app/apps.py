"""App config of the benchmark models."""

from django.apps import AppConfig


class SoftDeleteBenchConfig(AppConfig):
    """Installed only by bench/softdelete_bench.py; tables are created and dropped by it."""

    name = "softdelete_bench_app"
    label = "softdelete_bench"
    default_auto_field = "django.db.models.BigAutoField"
