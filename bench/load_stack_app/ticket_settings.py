"""The ticket service's settings plus one bare DRF view (the ceiling of the load benchmark)."""

from services.ticket_service.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_stack_app.ticket_urls"
