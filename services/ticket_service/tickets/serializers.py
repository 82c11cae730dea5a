"""Serializers of the ticket API (validation errors become 400 problems with JSON pointers)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apipatterns.serializers import FieldsOnceMixin
from services.ticket_service.tickets import users
from services.ticket_service.tickets.models import (
    Comment,
    Ticket,
    TicketPriority,
    TicketStatus,
    check_transition,
)


class TicketSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A ticket: ``reporter_id`` is the caller; ``assignee_id`` must be an agent."""

    class Meta:
        model = Ticket
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "reporter_id",
            "assignee_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "reporter_id", "created_at", "updated_at"]

    def validate_status(self, value: str) -> str:
        current = self.instance.status if self.instance else TicketStatus.OPEN
        try:
            check_transition(current, value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict["status"], code="invalid_transition"
            ) from exc
        return value

    def validate_assignee_id(self, value: Any) -> Any:
        if value is None or (self.instance is not None and value == self.instance.assignee_id):
            return value
        record = users.fetch_user(value)
        if record is None:
            raise serializers.ValidationError(_("No such user."), code="unknown_assignee")
        if "agent" not in users.user_roles(record):
            raise serializers.ValidationError(
                _("Tickets can only be assigned to agents."), code="assignee_not_agent"
            )
        return value


class TicketInternalSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """What other services learn about a ticket on ``/internal/v1/tickets/{id}``."""

    class Meta:
        model = Ticket
        fields = ["id", "title", "status", "reporter_id", "assignee_id", "created_at"]
        read_only_fields = fields


class CommentSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A comment; ``author_id`` is the caller, ``ticket_id`` comes from the URL."""

    ticket_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "ticket_id", "author_id", "body", "created_at", "updated_at"]
        read_only_fields = ["id", "ticket_id", "author_id", "created_at", "updated_at"]


ORDERING_FIELDS = ("created_at", "updated_at", "priority", "status", "title")


class TicketListQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/tickets``; a bad value is a 400, never ignored."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    assignee_id = serializers.UUIDField(required=False)
    reporter_id = serializers.UUIDField(required=False)
    ordering = serializers.CharField(required=False, max_length=200)

    def validate_ordering(self, value: str) -> list[str]:
        fields = [part.strip() for part in value.split(",") if part.strip()]
        allowed = {*ORDERING_FIELDS, *(f"-{name}" for name in ORDERING_FIELDS)}
        unknown = [field for field in fields if field not in allowed]
        if unknown or not fields:
            raise serializers.ValidationError(
                _("Order by one of: %(fields)s (prefix - for descending).")
                % {"fields": ", ".join(ORDERING_FIELDS)},
                code="invalid_ordering",
            )
        return fields


class InternalTicketQuerySerializer(serializers.Serializer):
    """Query parameters of ``/internal/v1/tickets/{id}``: on whose behalf the service asks."""

    for_user = serializers.UUIDField(required=False)
    roles = serializers.CharField(required=False, default="", max_length=200)

    def validate_roles(self, value: str) -> list[str]:
        return [role.strip() for role in value.split(",") if role.strip()]
