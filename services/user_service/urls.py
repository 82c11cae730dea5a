"""URLs of the user service: the accounts API, the API schema, health checks and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("apipatterns.urls")),
    path("", include("healthchecks.urls")),
    path("admin/", admin.site.urls),
]
