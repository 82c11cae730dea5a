"""URLs of the suite's own development project (``manage.py`` at the repository root)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("healthchecks.urls")),
]
