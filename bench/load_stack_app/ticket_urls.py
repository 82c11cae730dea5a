"""The ticket service's URLs and ``GET /bench/bare``: a bare DRF view on the same server.

No authentication, permission, throttle, envelope or database: what one request through the
same gunicorn worker and middleware costs at the least.
"""

from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from services.ticket_service.urls import (  # noqa: F401 (re-exported for Django)
    handler400,
    handler403,
    handler404,
    handler500,
)
from services.ticket_service.urls import urlpatterns as service_urls


class BareView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]
    versioning_class = None

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/bare", BareView.as_view()), *service_urls]
