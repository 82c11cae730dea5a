"""Common settings of this repository's project: the suite's presets, environment-neutral.

Every value comes from the environment with a documented default (``shared_core.presets.common``;
``.env.example`` lists every variable). ``settings.dev`` and ``settings.prod`` refine it for
development and production, ``settings.test`` for the test suite. The demo services do not
build on this module: each calls ``shared_core.presets.service()`` (``DJANGO_ENV`` picks the
environment).
"""

from pathlib import Path

from shared_core import presets
from shared_core.presets import env

BASE_DIR = Path(__file__).resolve().parent.parent
# .env is read only when present; real environment variables always win over it.
presets.read_env_file(BASE_DIR)

#: The settings as a dict, for ``settings.dev``/``settings.prod`` to refine.
common = presets.common(
    base_dir=BASE_DIR, service_name=env.str("SERVICE_NAME", default="django-service")
)
common["ROOT_URLCONF"] = "settings.urls"
common["WSGI_APPLICATION"] = "settings.wsgi.application"
globals().update(common)
