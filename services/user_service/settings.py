"""Settings of the user service: ``settings.base`` plus its own name, database and URLs.

The user service owns identity: it serves the accounts HTTP API (auth, users, introspection) that
the ticket and file services call. Which services may call it is ``ACCEPTED_SERVICE_TOKENS``.
"""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS, LOG_FORMAT, LOG_LEVEL
from settings.services import service_caches, service_database
from shared_core.logging_config import get_logging_config

# Fixed, not read from the environment: one env file (.env.example) feeds all three services.
SERVICE_NAME = "user-service"
LOGGING = get_logging_config(SERVICE_NAME, LOG_LEVEL, LOG_FORMAT)
DATABASES = service_database("user")
CACHES = service_caches(SERVICE_NAME)

INSTALLED_APPS = [*INSTALLED_APPS, "services.user_service.roles"]

ROOT_URLCONF = "services.user_service.urls"
WSGI_APPLICATION = "services.user_service.wsgi.application"
