#!/usr/bin/env python
"""Django's command-line utility for the suite's own development project."""

import os
import sys


def main() -> None:
    """Run a management command with ``settings.dev`` unless told otherwise."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
