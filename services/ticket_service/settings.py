"""Settings of the ticket service: ``settings.base`` plus the tickets app, its name and database.

End users authenticate with the user service's session token (``RemoteSessionAuthentication``
asks the user service at ``IDENTITY_SERVICE_URL``); the file service calls ``/internal/v1/...``
with a service token (``ACCEPTED_SERVICE_TOKENS``).
"""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, LOG_FORMAT, LOG_LEVEL, REST_FRAMEWORK
from settings.services import (
    consumer_installed_apps,
    consumer_rest_framework,
    service_caches,
    service_database,
)
from shared_core.logging_config import get_logging_config

SERVICE_NAME = "ticket-service"
LOGGING = get_logging_config(SERVICE_NAME, LOG_LEVEL, LOG_FORMAT)
DATABASES = service_database("ticket")
CACHES = service_caches(SERVICE_NAME)

# The admin shows this service's own models, not the user service's (users, sessions, ...).
INSTALLED_APPS = consumer_installed_apps([*INSTALLED_APPS, "services.ticket_service.tickets"])

ROOT_URLCONF = "services.ticket_service.urls"
WSGI_APPLICATION = "services.ticket_service.wsgi.application"

REST_FRAMEWORK = consumer_rest_framework(REST_FRAMEWORK)
