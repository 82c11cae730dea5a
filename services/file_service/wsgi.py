"""WSGI entry point of the file service.

``gunicorn services.file_service.wsgi:application``, from the repository root.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.file_service.settings")

application = get_wsgi_application()
