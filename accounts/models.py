"""``accounts.User``: email login, UUID key, timestamps and soft delete from ``BaseModel``."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shared_core.models import BaseModel, SoftDeleteManager, unique_among_active


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased as a whole.

    Logins are case-insensitive, so ``Ann@Example.com`` and ``ann@example.com`` are one account;
    lower-casing on the way in lets a plain unique constraint enforce that.
    """
    return (email or "").strip().lower()


def validate_timezone(value: str) -> None:
    """Accept IANA time zone names only (``Europe/Paris``, ``UTC``)."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("Unknown time zone: %(value)s."), code="invalid_timezone", params={"value": value}
        )


class UserManager(SoftDeleteManager, BaseUserManager):
    """Active (not soft-deleted) users, plus Django's ``create_user``/``create_superuser``."""

    def get_by_natural_key(self, username: str | None) -> User:
        """Find an active user by email, whatever its case."""
        return self.get(email=normalize_email(username or ""))

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        email = normalize_email(email)
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Create a regular user (no staff, no superuser); ``password=None`` = unusable."""
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Create a staff superuser (``manage.py createsuperuser`` uses this)."""
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create(email, password, **extra)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address and a password (or Google/GitHub)."""

    email = models.EmailField(_("email address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Unselect instead of deleting to block logins.")
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log into the admin site.")
    )
    # Set by each reset request; part of the reset token's hash, so a newer request voids
    # every older outstanding token.
    password_reset_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["created_at"]
        constraints = [unique_among_active("email", name="accounts_user_email_active_uniq")]
        # Like django.contrib.auth's User: the model exists only when AUTH_USER_MODEL names it.
        # A project that installs accounts without that line gets accounts.E001 (naming it)
        # instead of four clashing reverse accessors (fields.E304) between the two user models.
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        """Normalise the email the same way every entry point does."""
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Store the normalised email whatever path saved the user."""
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        """Display name, else first and last name, else the email."""
        full = f"{self.first_name} {self.last_name}".strip()
        return self.display_name or full or self.email

    def get_short_name(self) -> str:
        """First name, else the display name, else the email."""
        return self.first_name or self.display_name or self.email

    @property
    def roles(self) -> frozenset[str]:
        """Role names of this user (see ``accounts.roles``)."""
        from accounts.roles import roles_of

        return roles_of(self)

    @property
    def is_service(self) -> bool:
        """A local user is never a service (see ``accounts.authentication.ServicePrincipal``)."""
        return False


class RevokedSession(models.Model):
    """A session whose cached identity consumers must stop using (``accounts.revocation``).

    An append-only feed, pruned a minute or so after the longest a consumer may cache an answer:
    no soft delete, no UUID, just the order of events.
    """

    id = models.BigAutoField(primary_key=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("revoked session")

    def __str__(self) -> str:
        return f"{self.token_hash[:12]}… at {self.created_at.isoformat()}"
