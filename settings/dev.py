"""Development settings: DEBUG on, DEBUG-level logs; mail goes to the var/mail/ outbox."""

from settings.base import *  # noqa: F403
from settings.base import SERVICE_NAME, env
from shared_core.logging_config import get_logging_config

DEBUG = env.bool("DEBUG", default=True)
LOG_LEVEL = env.str("LOG_LEVEL", default="DEBUG").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text").lower()
LOGGING = get_logging_config(SERVICE_NAME, LOG_LEVEL, LOG_FORMAT)
