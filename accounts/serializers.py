"""Request and response shapes of the accounts API (validation proper lives in services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User, validate_timezone
from accounts.roles import roles_of
from apipatterns.serializers import FieldsOnceMixin


class UserSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A user as the API shows it (to the user, admins and services)."""

    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "timezone",
            "roles",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(roles_of(user))


def session_payload(session: Any) -> dict[str, Any]:
    """What login and "who am I" answer: the token (login only), its deadline and the user."""
    return {
        "expires_at": session.expires_at.isoformat() if session.expires_at else None,
        "user": UserSerializer(session.user).data,
    }


# --- Response shapes (documentation: drf-spectacular puts them, enveloped, in /api/schema/) ---


class SessionSerializer(serializers.Serializer):
    """``GET /auth/session``: until when the session lives if left idle, and whose it is."""

    expires_at = serializers.DateTimeField(allow_null=True)
    user = UserSerializer()


class LoginResponseSerializer(SessionSerializer):
    """Login answers: the session token to send as ``X-Session-Token``."""

    token = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    """An answer that only says what happened."""

    detail = serializers.CharField()


class SignupResponseSerializer(DetailSerializer):
    """Signup answers: the normalised email (the same answer for new and known emails)."""

    email = serializers.CharField()


class IntrospectResponseSerializer(serializers.Serializer):
    """``/internal/v1/introspect``: ``user`` and ``expires_at`` are null when not active."""

    active = serializers.BooleanField()
    user = UserSerializer(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class ProfileUpdateSerializer(serializers.Serializer):
    """``PATCH /users/me`` and ``/users/{id}``: the profile fields a user may change.

    Every value is a string (no null, list, object or boolean), without NUL or lone surrogates
    (DRF's ``CharField`` validators), within the model's length; any other key is refused with
    its own error instead of being ignored.
    """

    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    timezone = serializers.CharField(required=False, max_length=64, validators=[validate_timezone])

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {
                        name: [
                            serializers.ErrorDetail(
                                f"Unknown or read-only field; allowed: {allowed}.",
                                code="unknown_field",
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


_password = {"write_only": True, "trim_whitespace": False, "max_length": 4096}


class SignupSerializer(serializers.Serializer):
    """The signup body: email, password and optional profile fields."""

    email = serializers.CharField(max_length=254)
    password = serializers.CharField(**_password)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    timezone = serializers.CharField(required=False, max_length=64)


class LoginSerializer(serializers.Serializer):
    """The login body: email and password."""

    email = serializers.CharField(max_length=254)
    password = serializers.CharField(**_password)


class PasswordResetSerializer(serializers.Serializer):
    """The password-reset request body: the account's email."""

    email = serializers.CharField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    """The reset confirmation body: the emailed token and the new password."""

    token = serializers.CharField(max_length=256)
    new_password = serializers.CharField(**_password)


class PasswordChangeSerializer(serializers.Serializer):
    """The password change body: the current and the new password."""

    current_password = serializers.CharField(**_password)
    new_password = serializers.CharField(**_password)


class IntrospectSerializer(serializers.Serializer):
    """The introspection body: the session token a service asks about."""

    token = serializers.CharField(max_length=512, trim_whitespace=False)
    client_ip = serializers.IPAddressField(required=False)


class RevocationFeedQuerySerializer(serializers.Serializer):
    """The revocation feed's query: the ``now`` of the reader's previous answer, if any."""

    # Epoch seconds: up to the year 5138, well inside what datetime can hold.
    since = serializers.FloatField(required=False, min_value=0, max_value=1e11)


class RevokedSessionSerializer(serializers.Serializer):
    """One revocation: its order and the SHA-256 of the session token (documentation only)."""

    id = serializers.IntegerField()
    token_hash = serializers.CharField()


class RevocationFeedSerializer(serializers.Serializer):
    """``/internal/v1/revocations`` (documentation only)."""

    now = serializers.FloatField()
    reset = serializers.BooleanField()
    revoked = RevokedSessionSerializer(many=True)


class UserListQuerySerializer(serializers.Serializer):
    """The user list's query filters: email and role."""

    email = serializers.CharField(required=False, max_length=254)
    role = serializers.ChoiceField(required=False, choices=["admin", "agent", "customer"])


class ProviderTokenSerializer(serializers.Serializer):
    """A social login by provider token: the provider and the token it issued."""

    provider = serializers.ChoiceField(choices=["google", "github"])
    token = serializers.DictField(child=serializers.CharField(max_length=8192))
