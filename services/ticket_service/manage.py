"""Django's command-line utility for the ticket service.

Run from the repository root: ``python -m services.ticket_service.manage <command>``.
"""

import os
import sys


def main() -> None:
    """Run a management command with the ticket service's settings unless told otherwise.

    Development settings by default, as ``./manage.py`` at the root (``DJANGO_ENV`` wins: the
    image sets ``production``); the WSGI entry point defaults to production.
    """
    os.environ.setdefault("DJANGO_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "services.ticket_service.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
