"""URLs every service mounts: the OpenAPI schema at ``/api/schema/``.

``path("", include("apipatterns.urls"))`` in the service's root URLconf.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

app_name = "apipatterns"

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
