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
        api_title="User service API",
        api_version="1.0.0",
        api_description=(
            "Identity owner of the suite: accounts, sign-up and login (session tokens), "
            "roles, service-token introspection and the revocation feed the other services read."
        ),
    )
)
