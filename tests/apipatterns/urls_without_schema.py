"""A root URLconf with the suite's error handlers but without ``apipatterns.urls``."""

from django.urls import include, path

urlpatterns = [path("", include("healthchecks.urls"))]

handler404 = "apipatterns.handlers.handler404"
handler500 = "apipatterns.handlers.handler500"
