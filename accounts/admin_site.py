"""The admin of a service that is not the identity owner (the ticket and file services).

Every service installs ``accounts`` (its ``User`` is ``AUTH_USER_MODEL``) and allauth, so the
default admin lists Users, Groups, email addresses, social accounts and apps, user sessions and
Sites. Outside the user service those tables are empty or meaningless: users, roles and sessions
live in the user service. :class:`ConsumerAdminSite` leaves them out; a consumer service selects
it the way Django documents for replacing the default site, in ``INSTALLED_APPS``::

    INSTALLED_APPS = ["accounts.admin_site.ConsumerAdminConfig", ...]  # not "django.contrib.admin"
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

#: Apps whose models belong to the identity owner: registering them elsewhere is skipped.
IDENTITY_APP_LABELS = frozenset(
    {"accounts", "auth", "account", "socialaccount", "usersessions", "sites"}
)


class ConsumerAdminSite(admin.AdminSite):
    """The default admin site minus the identity owner's models."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        models = (
            model_or_iterable
            if isinstance(model_or_iterable, list | tuple | set)
            else [model_or_iterable]
        )
        kept = [model for model in models if model._meta.app_label not in IDENTITY_APP_LABELS]
        if kept:
            super().register(kept, admin_class, **options)


class ConsumerAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`ConsumerAdminSite` as ``admin.site``."""

    default_site = "accounts.admin_site.ConsumerAdminSite"
