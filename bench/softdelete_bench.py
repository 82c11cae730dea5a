"""Soft delete and restore vs Django's hard ``QuerySet.delete()``, on PostgreSQL.

Run from the repository root::

    python bench/softdelete_bench.py                  # 10,000 then 100,000 rows
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/softdelete_bench.py 100000

Each size builds a two-level cascade (customers -> 9 orders each -> 10 lines per order, so 1% /
9% / 90% of the rows), then times: ``Customer.objects.all().delete()`` (soft, cascading),
``Customer.all_objects.all().restore()``, and Django's own hard delete of the same rows
(``hard_delete()`` is ``QuerySet.delete()``). It prints the number of queries and the wall time of
each; it asserts nothing about time. The database (default ``suite_bench``) is created when
missing; the benchmark's tables are created and dropped by the run.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import django
import environ
from django.conf import settings

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/suite_bench"
SIZES = (10_000, 100_000)


def configure() -> None:
    """Standalone settings: only shared_core and the benchmark's models are installed."""
    database = environ.Env.db_url_config(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=["shared_core", "softdelete_bench_app.apps.SoftDeleteBenchConfig"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    if database["ENGINE"] == "django.db.backends.postgresql":
        ensure_postgres_database(database)
    django.setup()


def ensure_postgres_database(database: dict[str, Any]) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    conninfo = {
        "dbname": "postgres",
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"])))


@contextmanager
def measured(results: list[dict[str, Any]], size: int, label: str):
    """Count the queries and time the block (a counting wrapper, not Django's debug cursor)."""
    from django.db import connection

    counter = {"queries": 0}

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    row: dict[str, Any] = {"rows": size, "operation": label}
    with connection.execute_wrapper(count):
        start = time.perf_counter()
        yield row
        row["seconds"] = time.perf_counter() - start
    row["queries"] = counter["queries"]
    results.append(row)


def build(size: int) -> None:
    from softdelete_bench_app.models import Customer, Order, OrderLine

    customers = [Customer(id=uuid.uuid4(), name=f"c{i}") for i in range(size // 100)]
    Customer.all_objects.bulk_create(customers, batch_size=5000)
    orders = [Order(id=uuid.uuid4(), customer=c, number=n) for c in customers for n in range(9)]
    Order.all_objects.bulk_create(orders, batch_size=5000)
    lines = (OrderLine(order=o, sku=f"sku{n}") for o in orders for n in range(10))
    batch: list[OrderLine] = []
    for line in lines:
        batch.append(line)
        if len(batch) == 5000:
            OrderLine.all_objects.bulk_create(batch)
            batch = []
    OrderLine.all_objects.bulk_create(batch)


def run(size: int, results: list[dict[str, Any]]) -> None:
    from django.db import connection
    from softdelete_bench_app.models import Customer, Order, OrderLine

    models = [Customer, Order, OrderLine]
    with connection.schema_editor() as editor:
        for model in models:
            editor.create_model(model)
    try:
        build(size)
        total = sum(m.all_objects.count() for m in models)
        assert total == size, total
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in models:
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')

        with measured(results, size, "soft delete (cascade)") as row:
            row["affected"] = Customer.objects.all().delete()[0]
        assert Customer.objects.count() + Order.objects.count() + OrderLine.objects.count() == 0
        with measured(results, size, "restore (cascade)") as row:
            row["affected"] = Customer.all_objects.all().restore()[0]
        assert OrderLine.objects.count() == size * 90 // 100
        with measured(results, size, "Django hard delete") as row:
            row["affected"] = Customer.all_objects.all().hard_delete()[0]
        assert sum(m.all_objects.count() for m in models) == 0
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(models):
                editor.delete_model(model)


def main(argv: list[str]) -> int:
    sizes = tuple(int(arg) for arg in argv) or SIZES
    configure()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print("shape: customers -> 9 orders each -> 10 lines per order (1% / 9% / 90% of rows)\n")
    results: list[dict[str, Any]] = []
    for size in sizes:
        run(size, results)
    print(f"{'rows':>8}  {'operation':<22} {'rows affected':>13} {'queries':>8} {'seconds':>8}")
    for r in results:
        print(
            f"{r['rows']:>8,}  {r['operation']:<22} {r['affected']:>13,} {r['queries']:>8} "
            f"{r['seconds']:>8.3f}"
        )
    by_operation: dict[str, list[int]] = {}
    for r in results:
        by_operation.setdefault(r["operation"], []).append(r["queries"])
    print()
    for operation, counts in by_operation.items():
        trend = "constant" if len(set(counts)) == 1 else "grows with rows"
        print(f"{operation}: queries per size {counts} -> {trend}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
