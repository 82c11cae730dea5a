"""Tickets and their comments.

Users live in the user service, so people are referenced by their UUID (``reporter_id``,
``assignee_id``, ``author_id``), not by foreign keys. Soft-deleting a ticket soft-deletes its
comments in the same batch (``BaseModel`` cascade), and restoring it brings back exactly those.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shared_core.models import BaseModel


class TicketStatus(models.TextChoices):
    """The ticket workflow: ``open → in_progress → resolved → closed``."""

    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: The only moves the workflow allows (staying in the same status is not a move).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


class TicketPriority(models.TextChoices):
    """How urgent a ticket is."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


def check_transition(current: str, new: str) -> None:
    """Raise ``ValidationError`` (code ``invalid_transition``) unless ``current → new`` is ok."""
    if new == current:
        return
    if new not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        raise ValidationError(
            {
                "status": ValidationError(
                    _("A ticket cannot go from %(current)s to %(new)s."),
                    code="invalid_transition",
                    params={"current": current, "new": new},
                )
            }
        )


#: Longest accepted title, description and comment body, in characters (docs/security.md).
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000
COMMENT_MAX_LENGTH = 10_000


class Ticket(BaseModel):
    """A support ticket reported by a user and optionally assigned to an agent.

    ``deleted_by`` is who soft-deleted it (cleared on restore): a customer may restore a ticket
    they deleted themselves, never one that staff deleted.
    """

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    reporter_id = models.UUIDField(_("reporter"), db_index=True)
    assignee_id = models.UUIDField(_("assignee"), null=True, blank=True, db_index=True)
    deleted_by = models.UUIDField(_("deleted by"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="ticket_status_created")]

    def __str__(self) -> str:
        return self.title

    def move_to(self, status: str) -> None:
        """Change the status along the workflow; raises ``ValidationError`` on a bad move."""
        check_transition(self.status, status)
        self.status = status

    move_to.alters_data = True  # type: ignore[attr-defined]


class Comment(BaseModel):
    """A comment on a ticket; soft-deleted and restored together with its ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author_id = models.UUIDField(_("author"), db_index=True)
    body = models.TextField(_("body"), max_length=COMMENT_MAX_LENGTH)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on {self.ticket_id}"
