"""URLs of the suite's own development project (``manage.py`` at the repository root)."""

from django.contrib import admin
from django.urls import include, path

# Django's own error responses (unknown URLs, errors in middleware, 500s) as problem+json:
# Django looks these four names up in the root URLconf; every service's root URLconf does this.
from apipatterns.handlers import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("healthchecks.urls")),
    path("", include("apipatterns.urls")),
]
