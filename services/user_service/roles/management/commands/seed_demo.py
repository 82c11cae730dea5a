"""``manage.py seed_demo``: create (or reset) the demo admin, agent and customer."""

from __future__ import annotations

import os
from typing import Any

from accounts.roles import assign_role
from accounts.services import create_user
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from services.user_service.roles import DEFAULT_DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    """Idempotent: run it after every migrate; existing demo users get their password back."""

    help = "Create the demo admin, agent and customer (password from DEMO_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        user_model = get_user_model()
        with transaction.atomic():
            for role, email in DEMO_USERS:
                user = user_model.objects.filter(email__iexact=email).first()
                if user is None:
                    user = create_user(email, password, {"first_name": role.title()})
                    verb = "created"
                else:
                    user.set_password(password)
                    user.save()
                    verb = "reset"
                assign_role(user, role)
                if role == "admin":
                    # The admin may also use the Django admin site of the user service.
                    user.is_staff = user.is_superuser = True
                    user.save(update_fields=["is_staff", "is_superuser"])
                self.stdout.write(f"{verb} {role} {email}")
