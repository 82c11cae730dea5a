"""URLs of the suite's own development project (``manage.py`` at the repository root).

The ``handler*`` names make Django's own error responses (unknown URLs, errors raised in
middleware, 500s) problem+json; every service's root URLconf sets the same four.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("healthchecks.urls")),
    path("", include("apipatterns.urls")),
]

handler400 = "apipatterns.handlers.handler400"
handler403 = "apipatterns.handlers.handler403"
handler404 = "apipatterns.handlers.handler404"
handler500 = "apipatterns.handlers.handler500"
