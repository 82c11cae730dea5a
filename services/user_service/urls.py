"""URLs of the user service: the accounts API, role grants, the API schema, health checks, admin."""

from django.contrib import admin
from django.urls import include, path

# Django's own error responses (unknown URLs, errors in middleware, 500s) as problem+json:
# Django looks these four names up in the root URLconf.
from apipatterns.handlers import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("services.user_service.roles.urls")),
    path("", include("apipatterns.urls")),
    path("", include("healthchecks.urls")),
    path("admin/", admin.site.urls),
]
