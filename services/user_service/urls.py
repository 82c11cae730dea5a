"""URLs of the user service: the accounts API, role grants, the API schema, health checks, admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("services.user_service.roles.urls")),
    path("", include("apipatterns.urls")),
    path("", include("healthchecks.urls")),
    path("admin/", admin.site.urls),
]

# Django's own error responses (unknown URLs, errors in middleware, 500s) as problem+json.
handler400 = "apipatterns.handlers.handler400"
handler403 = "apipatterns.handlers.handler403"
handler404 = "apipatterns.handlers.handler404"
handler500 = "apipatterns.handlers.handler500"
