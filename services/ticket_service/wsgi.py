"""WSGI entry point of the ticket service.

``gunicorn services.ticket_service.wsgi:application``, from the repository root.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.ticket_service.settings")

application = get_wsgi_application()
