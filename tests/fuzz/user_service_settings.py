"""The user service's settings for the fuzz stack: allauth's rate limits off.

Every fuzzing request comes from one IP address, and the logout / password-change operations need
a fresh login per call: allauth's "30 logins a minute per IP" would turn most of the run into
429s. The limits have their own tests (``tests/accounts/test_security.py``).
"""

from services.user_service.settings import *  # noqa: F403

ACCOUNT_RATE_LIMITS = False
