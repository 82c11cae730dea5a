"""URLs every service mounts: the OpenAPI schema at ``/api/schema/`` and its documentation
page (Swagger UI) at ``/api/docs/``.

``path("", include("apipatterns.urls"))`` in the service's root URLconf. The page loads Swagger
UI from the ``drf_spectacular_sidecar`` app's static files when ``SPECTACULAR_SETTINGS`` says
``"SWAGGER_UI_DIST": "SIDECAR"`` (the presets do): nothing comes from a CDN. Both views are
public, like the schema (drf-spectacular's ``SERVE_PERMISSIONS``, ``AllowAny`` by default).
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

app_name = "apipatterns"

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="apipatterns:schema"), name="docs"),
]
