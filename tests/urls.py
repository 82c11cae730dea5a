"""URLs used only by the tests."""

import logging

from django.http import HttpRequest, JsonResponse
from django.urls import path

from shared_core.request_id import get_request_id

logger = logging.getLogger("tests.views")


def echo_request_id(request: HttpRequest) -> JsonResponse:
    logger.info("handling echo")
    return JsonResponse({"request_id": get_request_id()})


urlpatterns = [
    path("echo-request-id", echo_request_id),
]
