"""Production settings: the presets' production environment.

A real ``SECRET_KEY`` and ``ALLOWED_HOSTS`` are required, ``DEBUG=True`` is refused, HTTPS and
secure cookies are on (``shared_core.presets.production``).
``DJANGO_SETTINGS_MODULE=settings.prod python manage.py check --deploy`` is clean when the
environment gives a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from settings.base import *  # noqa: F403
from settings.base import common
from shared_core import presets

globals().update(presets.for_environment(common, presets.PRODUCTION))
