"""Admin of the ticket service: tickets and comments, with soft-delete filters and actions."""

from django.contrib import admin

from services.ticket_service.tickets.models import Comment, Ticket
from shared_core.admin import SoftDeleteAdmin


class CommentInline(admin.TabularInline):
    """A ticket's comments on its admin page."""

    model = Comment
    extra = 0
    fields = ["author_id", "body", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Ticket)
class TicketAdmin(SoftDeleteAdmin):
    """Tickets, with the soft-delete filter and actions."""

    list_display = ["title", "status", "priority", "reporter_id", "assignee_id", "created_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title", "description"]
    inlines = [CommentInline]


@admin.register(Comment)
class CommentAdmin(SoftDeleteAdmin):
    """Comments, with the soft-delete filter and actions."""

    list_display = ["ticket", "author_id", "created_at"]
    search_fields = ["body"]
