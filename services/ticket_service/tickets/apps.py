"""App config of the tickets app."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """Tickets and comments (``BaseModel``: UUID keys, timestamps, soft delete)."""

    name = "services.ticket_service.tickets"
    label = "tickets"
    verbose_name = "Tickets"
