"""WSGI entry point of the ticket service.

``gunicorn services.ticket_service.wsgi:application``, from the repository root.
"""

import os

from django.core.wsgi import get_wsgi_application

from apipatterns.wsgi import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.ticket_service.settings")

# Chunked request bodies reach the views whole (or get a 413), never empty.
application = ChunkedBodyMiddleware(get_wsgi_application())
