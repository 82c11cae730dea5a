"""Receivers: session stamps on every login; soft-deleting a user ends sessions, frees the email."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts import sessions
from accounts.models import User
from shared_core.signals import post_restore, post_soft_delete


@receiver(user_logged_in, dispatch_uid="accounts.stamp_session")
def stamp_session_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Start the idle/absolute clocks of the session a login just created."""
    session = getattr(request, "session", None)
    if session is not None:
        sessions.start(session)


@receiver(post_soft_delete, sender=User, dispatch_uid="accounts.user_soft_deleted")
def end_deleted_user(sender: Any, instance: User, **kwargs: Any) -> None:
    """A soft-deleted user: every session ends and allauth forgets the email (free to reuse).

    Runs for ``user.delete()`` and ``User.objects.filter(...).delete()`` alike, inside the
    deleting transaction.
    """
    from accounts import allauth_bridge

    allauth_bridge.forget_emails(instance)
    allauth_bridge.end_all_sessions(instance)


@receiver(post_restore, sender=User, dispatch_uid="accounts.user_restored")
def restore_user_email(sender: Any, instance: User, **kwargs: Any) -> None:
    """A restored user gets their email back in allauth's table (restore fails if it is taken)."""
    from accounts import allauth_bridge

    allauth_bridge.sync_primary_email(instance)
