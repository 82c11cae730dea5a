"""A migration no test database has applied: pointing MIGRATION_MODULES here makes one pending."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies: list = []
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
