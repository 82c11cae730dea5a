"""Settings of the user service, the identity owner: the suite's presets plus its roles app.

``DJANGO_ENV`` picks production (the default) or development; the services that may call this
one are ``ACCEPTED_SERVICE_TOKENS``. Every variable: ``.env.example``.
"""

from pathlib import Path

from shared_core import presets

globals().update(
    presets.service(
        "user-service",
        package="services.user_service",
        base_dir=Path(__file__).resolve().parents[2],
        apps=["services.user_service.roles"],
    )
)
