"""The demo services: three small Django projects built on the suite's apps.

Run them from the repository root (``python -m services.runner`` or ``./scripts/run``); each one is
also a plain Django project: ``python -m services.ticket_service.manage migrate``.
"""
