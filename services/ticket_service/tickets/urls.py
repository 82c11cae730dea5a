"""URLs of the tickets app (mounted at the root of the ticket service)."""

from django.urls import path

from services.ticket_service.tickets import views

app_name = "tickets"

urlpatterns = [
    path("api/v1/tickets", views.TicketListCreateView.as_view(), name="ticket-list"),
    path("api/v1/tickets/<uuid:pk>", views.TicketDetailView.as_view(), name="ticket-detail"),
    path(
        "api/v1/tickets/<uuid:pk>/restore",
        views.TicketRestoreView.as_view(),
        name="ticket-restore",
    ),
    path(
        "api/v1/tickets/<uuid:pk>/comments",
        views.CommentListCreateView.as_view(),
        name="ticket-comments",
    ),
    path(
        "internal/v1/tickets/<uuid:pk>",
        views.InternalTicketView.as_view(),
        name="internal-ticket-detail",
    ),
]
