"""WSGI entry point of the ticket service.

``gunicorn services.ticket_service.wsgi:application``, from the repository root.
"""

import os

from django.core.wsgi import get_wsgi_application

from apipatterns.wsgi import ChunkedBodyMiddleware
from healthchecks.wsgi import LivenessMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.ticket_service.settings")

# Chunked request bodies reach the views whole (or get a 413), never empty; plain /health
# probes are answered before Django (healthchecks.wsgi).
application = LivenessMiddleware(ChunkedBodyMiddleware(get_wsgi_application()))
