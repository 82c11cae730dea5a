"""URLs of the ticket service: the tickets API, the API schema, health checks and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("services.ticket_service.tickets.urls")),
    path("", include("apipatterns.urls")),
    path("", include("healthchecks.urls")),
    path("admin/", admin.site.urls),
]
