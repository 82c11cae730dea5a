"""The user service's settings with allauth's per-IP rate limits off.

The load generator is one IP address standing for many users: allauth's "30 logins a minute per
IP" limit would turn the benchmark's logins into 429s. Everything else is unchanged.
"""

from services.user_service.settings import *  # noqa: F403

ACCOUNT_RATE_LIMITS = False
