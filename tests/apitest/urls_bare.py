"""The same URLs without handler404/500: the middleware alone must keep errors problem+json."""

from tests.apitest.urls import urlpatterns  # noqa: F401
