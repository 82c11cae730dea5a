"""The settings of ``shared_core``, and the settings-object class every app of the suite uses.

Each app reads its Django settings through one object (``shared_core.conf.shared_core_settings``,
``apipatterns.conf.api_settings``, ``accounts.conf.accounts_settings``,
``healthchecks.conf.health_settings``), shaped like DRF's ``rest_framework.settings.api_settings``
and allauth's ``account.app_settings``: every setting has a documented default, a project sets
only what it changes, and a value is looked up once and then kept as a plain attribute (hot paths
pay an instance attribute lookup), until Django's ``setting_changed`` signal (``override_settings``,
pytest-django's ``settings`` fixture) names it. Setting names are the plain Django ones
(``HTTP_CLIENT_DEADLINE``, not a namespaced dict), so existing settings modules keep working.

The docs pages' settings tables are checked against these objects (``tests/docs/``).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed

__all__ = ["AppSettings", "Setting", "shared_core_settings"]

_MISSING = object()


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its Django name, its default and what it does.

    ``default`` is the value used when the project does not set the name; a callable
    ``default_factory`` computes it instead (for a default taken from the environment), and
    ``default_doc`` is then how the docs show it.
    """

    name: str
    default: Any = None
    doc: str = ""
    default_factory: Callable[[], Any] | None = None
    default_doc: str | None = None

    def get_default(self) -> Any:
        """The value when the project leaves this setting out (a fresh copy of mutable ones)."""
        if self.default_factory is not None:
            return self.default_factory()
        return copy.deepcopy(self.default)

    @property
    def documented_default(self) -> str:
        """The default as the docs tables show it (Markdown), ``default_doc`` when given."""
        if self.default_doc is not None:
            return self.default_doc
        return f"`{self.default!r}`"


class AppSettings:
    """Attribute access to a group of Django settings, each with a default.

    ``conf.NAME`` is the Django setting ``NAME`` when the project sets it, else the default; the
    value is then stored on the instance, so the next read is a plain attribute lookup.
    ``reload()`` (called on ``setting_changed`` for one of its names) forgets the stored values.
    """

    def __init__(self, app: str, settings: Iterable[Setting]) -> None:
        self._app = app
        self._definitions = {setting.name: setting for setting in settings}
        self._cached: set[str] = set()
        setting_changed.connect(self._on_setting_changed, weak=False)

    def __getattr__(self, name: str) -> Any:
        # Only called when the attribute is not stored yet (__getattribute__ found nothing).
        try:
            definition = self.__dict__["_definitions"][name]
        except KeyError:
            raise AttributeError(f"{self._app} has no setting {name!r}") from None
        if not django_settings.configured:
            # Not kept: the project's settings may still be loaded later.
            return definition.get_default()
        value = getattr(django_settings, name, _MISSING)
        if value is _MISSING:
            value = definition.get_default()
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def definition(self, name: str) -> Setting:
        """The :class:`Setting` called ``name`` (its default and documentation)."""
        try:
            return self._definitions[name]
        except KeyError:
            raise AttributeError(name) from None

    def is_set(self, name: str) -> bool:
        """Whether the project's settings give ``name`` (rather than leaving it to the default)."""
        if name not in self._definitions:
            raise AttributeError(name)
        return django_settings.configured and hasattr(django_settings, name)

    def __iter__(self) -> Iterator[Setting]:
        """The settings' definitions, in declaration order (the docs tables are checked on it)."""
        return iter(self._definitions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def markdown_table(self) -> str:
        """The Markdown table of these settings that the app's docs page carries."""
        rows = ["| Setting | Default | What it does |", "|---|---|---|"]
        rows += [
            f"| `{setting.name}` | {setting.documented_default} | {setting.doc} |"
            for setting in self
        ]
        return "\n".join(rows)

    @property
    def app(self) -> str:
        """The app these settings belong to."""
        return self._app

    def reload(self) -> None:
        """Forget every stored value: the next read looks at Django's settings again."""
        for name in self._cached:
            self.__dict__.pop(name, None)
        self._cached.clear()

    def _on_setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting in self._definitions:
            self.reload()


def _env_default(name: str, fallback: str) -> Callable[[], str]:
    return lambda: os.environ.get(name, fallback)


#: ``shared_core``'s settings: the service's identity, ``HTTPClient`` defaults, logging, UUIDs.
shared_core_settings = AppSettings(
    "shared_core",
    [
        Setting(
            "SERVICE_NAME",
            "django-service",
            "This service's name: in every log line and in the `User-Agent` of `HTTPClient` calls.",
        ),
        Setting(
            "SERVICE_AUTH_TOKEN",
            "",
            "The token this service sends (`Authorization: Bearer …`) when it calls another "
            "service; empty sends none.",
        ),
        Setting(
            "AUTH_TOKEN",
            "",
            "The older name of `SERVICE_AUTH_TOKEN`, sent only when that one is empty.",
        ),
        Setting(
            "HTTP_CLIENT_CONNECT_TIMEOUT",
            3.05,
            "Seconds `HTTPClient` waits for a TCP connection.",
        ),
        Setting(
            "HTTP_CLIENT_READ_TIMEOUT",
            10.0,
            "Seconds `HTTPClient` waits between bytes of an answer.",
        ),
        Setting(
            "HTTP_CLIENT_DEADLINE",
            30.0,
            "Seconds one `HTTPClient` call may take in all, retries and back-off included.",
        ),
        Setting(
            "HTTP_CLIENT_RETRIES",
            3,
            "Retries of a call that may be retried (idempotent methods, or POST/PATCH with an "
            "`Idempotency-Key`) after a connection error, a timeout or a 5xx.",
        ),
        Setting(
            "HTTP_CLIENT_BACKOFF_FACTOR",
            0.5,
            "Back-off before retry *n*: `min(backoff_max, factor * 2 ** (n - 1))` seconds, with "
            "equal jitter.",
        ),
        Setting("HTTP_CLIENT_BACKOFF_MAX", 10.0, "The longest back-off, in seconds."),
        Setting(
            "HTTP_CLIENT_POOL_MAXSIZE",
            32,
            "Connections kept per host; a call waits for a free one within its deadline.",
        ),
        Setting(
            "HTTP_CLIENT_BREAKER_FAILURES",
            5,
            "Consecutive failures after which the client's circuit breaker opens.",
        ),
        Setting(
            "HTTP_CLIENT_BREAKER_RESET",
            30.0,
            "Seconds the breaker stays open before it lets one trial call through.",
        ),
        Setting(
            "SERVICE_URL_SETTINGS",
            {},
            "Which Django setting holds each downstream service's base URL, by service name (the "
            "topology's `url_env`), e.g. `{'user-service': 'IDENTITY_SERVICE_URL'}`: "
            "`client_for('user-service')` reads it.",
        ),
        Setting(
            "LOG_LEVEL",
            default_factory=_env_default("LOG_LEVEL", "INFO"),
            default_doc="`$LOG_LEVEL` or `'INFO'`",
            doc="Level of `get_logging_config()`'s loggers when it is called without one.",
        ),
        Setting(
            "LOG_FORMAT",
            default_factory=_env_default("LOG_FORMAT", "text"),
            default_doc="`$LOG_FORMAT` or `'text'`",
            doc="`'text'` or `'json'`: the format of `get_logging_config()` without an argument.",
        ),
        Setting(
            "SHARED_CORE_UUID_FUNCTION",
            "uuid.uuid4",
            "Dotted path of the function that makes `BaseModel` primary keys.",
        ),
    ],
)
