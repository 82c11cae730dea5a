"""System checks of ``shared_core``: BaseModel subclasses, and the base URLs ``client_for`` reads.

- ``shared_core.W001``: a plain ``unique=True`` field, ``unique_together`` or a ``UniqueConstraint``
  without a condition also counts soft-deleted rows, so a deleted row blocks a new one with the
  same value. Use :func:`shared_core.models.unique_among_active` instead. A ``OneToOneField``
  is exempt: the link stays unique over all rows on purpose (a deleted row keeps its link, so a
  restore is exact; restore or hard-delete it before linking a new one).
- ``shared_core.W002``: the default manager is not a
  :class:`~shared_core.models.SoftDeleteManager`, so deleted rows leak through related managers,
  ``prefetch_related()``, model forms and the admin.
- ``shared_core.E001``: ``SERVICE_URL_SETTINGS`` names, for a service, a setting that is not set
  (``shared_core.http.client_for`` would fail on the first call instead of at start-up).

Silence them project-wide with Django's ``SILENCED_SYSTEM_CHECKS`` when a plain unique column is
really meant (for example a natural key that must never be reused).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.db import models

from shared_core.soft_delete import iter_soft_delete_models


def check_model(model: type[models.Model]) -> list[checks.CheckMessage]:
    """The soft-delete checks for one concrete BaseModel subclass."""
    from shared_core.models import SoftDeleteManager

    messages: list[checks.CheckMessage] = []
    hint = (
        "Deleted rows still hold the value. Use "
        "Meta.constraints = [shared_core.models.unique_among_active(...)] for uniqueness among "
        "active rows."
    )
    for field in model._meta.local_fields:
        # A one-to-one link stays unique over all rows on purpose: the deleted row keeps its
        # link so restore() is exact (docs/shared_core.md, "One-to-one").
        if field.unique and not field.primary_key and not field.one_to_one:
            messages.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name} is unique=True on a soft-delete model.",
                    hint=hint,
                    obj=field,
                    id="shared_core.W001",
                )
            )
    for fields in model._meta.unique_together:
        messages.append(
            checks.Warning(
                f"{model._meta.label} has unique_together {tuple(fields)!r} on a soft-delete "
                f"model.",
                hint=hint,
                obj=model,
                id="shared_core.W001",
            )
        )
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
            messages.append(
                checks.Warning(
                    f"{model._meta.label} constraint {constraint.name!r} is unique over deleted "
                    f"rows too.",
                    hint=hint,
                    obj=model,
                    id="shared_core.W001",
                )
            )
    if not isinstance(model._default_manager, SoftDeleteManager):
        messages.append(
            checks.Warning(
                f"The default manager of {model._meta.label} "
                f"({type(model._default_manager).__name__}) is not a SoftDeleteManager: deleted "
                f"rows leak through related managers, prefetches, forms and the admin.",
                hint=(
                    "Declare `objects` first, or subclass SoftDeleteManager "
                    "(class MyManager(SoftDeleteManager, OtherManager)), or set "
                    "Meta.default_manager_name = 'objects'."
                ),
                obj=model,
                id="shared_core.W002",
            )
        )
    return messages


def check_base_models(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Run :func:`check_model` on every concrete BaseModel subclass of the checked apps."""
    if app_configs is None:
        candidates: Iterable[type[models.Model]] = apps.get_models()
    else:
        candidates = (m for app_config in app_configs for m in app_config.get_models())
    return [
        message for model in iter_soft_delete_models(candidates) for message in check_model(model)
    ]


def check_service_urls(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every service in ``SERVICE_URL_SETTINGS`` names a setting holding its base URL, so
    ``client_for(service)`` fails at start-up rather than on a request."""
    from django.core.exceptions import ImproperlyConfigured

    from shared_core.conf import shared_core_settings
    from shared_core.http.registry import service_url

    mapping = shared_core_settings.SERVICE_URL_SETTINGS
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        return [
            checks.Error(
                "SERVICE_URL_SETTINGS must be a dict of service name -> setting name.",
                hint="SERVICE_URL_SETTINGS = {'user-service': 'IDENTITY_SERVICE_URL'}",
                id="shared_core.E001",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for service, setting in mapping.items():
        try:
            service_url(service)
        except ImproperlyConfigured:
            messages.append(
                checks.Error(
                    f"SERVICE_URL_SETTINGS names {setting!r} for {service!r}, and that setting "
                    "is not set.",
                    hint=f"Add {setting} = 'http://<host>:<port>' (the base URL of {service}).",
                    id="shared_core.E001",
                )
            )
    return messages
