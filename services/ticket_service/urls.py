"""URLs of the ticket service: the tickets API, the API schema, health checks and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("services.ticket_service.tickets.urls")),
    path("", include("apipatterns.urls")),
    path("", include("healthchecks.urls")),
    path("admin/", admin.site.urls),
]

# Django's own error responses (unknown URLs, errors in middleware, 500s) as problem+json.
handler400 = "apipatterns.handlers.handler400"
handler403 = "apipatterns.handlers.handler403"
handler404 = "apipatterns.handlers.handler404"
handler500 = "apipatterns.handlers.handler500"
