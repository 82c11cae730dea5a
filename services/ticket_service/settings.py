"""Settings of the ticket service: the suite's presets plus the tickets app.

End users authenticate with the user service's session token (``IDENTITY_SERVICE_URL``); this
service calls it with ``SERVICE_AUTH_TOKEN``, and the file service calls ``/internal/v1/...``
with a token from ``ACCEPTED_SERVICE_TOKENS``. ``DJANGO_ENV`` picks the environment.
"""

from pathlib import Path

from shared_core import presets

globals().update(
    presets.service(
        "ticket-service",
        package="services.ticket_service",
        base_dir=Path(__file__).resolve().parents[2],
        apps=["services.ticket_service.tickets"],
        api_title="Ticket service API",
        api_version="1.0.0",
        api_description=(
            "Support tickets and their comments; end users authenticate with the user "
            "service's session token, other services call /internal/v1/ with a service token."
        ),
        consumer=True,
    )
)
