"""``manage.py startservice NAME``: a new service on the suite, registered in the topology.

Django's ``startapp`` for a whole service (it is a :class:`~django.core.management.templates.
TemplateCommand`): ``services/<name>_service/`` gets settings on :mod:`shared_core.presets`,
URLs mounting the suite (health, schema, ``/api/docs/``, problem+json handlers), a WSGI entry
point, ``manage.py`` and one app ``<name>`` with a ``BaseModel`` model, its serializer, viewset,
admin, initial migration and tests; then a ``[[service]]`` table for ``<name>-service`` is
appended to the topology file (``services/topology.toml`` beside it), so the runner starts it.
"""

from __future__ import annotations

import keyword
import re
import tomllib
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.templates import TemplateCommand

#: The service templates shipped in the wheel (``*.py-tpl`` rendered with Django's engine).
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "service_template"
#: A service's short name: a lowercase Python identifier (it is also its app label and slug).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
#: The services a new one calls: end users authenticate with the user service's session tokens.
CALLS = ("user-service",)


class Command(TemplateCommand):
    """Write a new service package from the suite's template and register it in the topology."""

    help = (
        "Creates a service on the suite: <directory>/<name>_service/ (settings on the presets, "
        "urls, wsgi, manage.py, an app <name> with a BaseModel model, serializer, viewset, "
        "admin, migration and tests), registered as <name>-service in the topology file."
    )
    missing_args_message = "You must provide a service name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The service's short name, e.g. inventory.")
        parser.add_argument(
            "--directory",
            default="services",
            help="Where <name>_service/ is created (default: services, in the current directory).",
        )
        parser.add_argument(
            "--port",
            type=int,
            help="The service's port in the topology (default: one above the highest listed).",
        )
        parser.add_argument(
            "--topology",
            help="The topology file to register it in (default: <directory>/topology.toml; "
            "when that file does not exist, nothing is registered).",
        )
        parser.add_argument(
            "--template", help="Another service template directory (default: the suite's)."
        )

    def handle(self, *args: Any, **options: Any) -> None:  # type: ignore[override]
        name = self.service_name(options["name"])
        directory = Path(options["directory"]).expanduser().resolve()
        if not directory.is_dir():
            raise CommandError(f"{directory} does not exist, please create it first.")
        top_dir = directory / f"{name}_service"
        if top_dir.exists():
            raise CommandError(f"{top_dir} already exists.")
        package = ".".join([*package_path(directory), f"{name}_service"])
        service = f"{name}-service"

        topology = self.topology_file(options["topology"], directory)
        port = options["port"]
        if topology is not None:
            port = self.check_topology(topology, service, name, package, port)
        elif port is None:
            port = 8000

        top_dir.mkdir()
        try:
            super().handle(
                "service",
                name,
                str(top_dir),
                template=options["template"] or str(TEMPLATE_DIR),
                extensions=["py"],
                files=[],
                verbosity=options["verbosity"],
                service=service,
                package=package,
                port=port,
                base_dir_depth=package.count(".") + 1,
                api_title=f"{name.replace('_', ' ').capitalize()} service API",
                verbose_name=name.replace("_", " ").capitalize(),
            )
        except BaseException:
            self._remove_partial(top_dir)
            raise
        if topology is not None:
            register(topology, service=service, package=package, port=port, slug=name)
        if options["verbosity"] >= 1:
            self.stdout.write(self.summary(service, package, top_dir, topology, port))

    # --- checks ---------------------------------------------------------------------------------
    def service_name(self, raw: str) -> str:
        """The short name (``inventory`` from ``inventory``, ``inventory-service``, …), checked."""
        name = raw.removesuffix("-service").removesuffix("_service")
        if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
            raise CommandError(
                f"{raw!r} is not a valid service name: use a lowercase Python identifier "
                "(letters, digits, underscores, starting with a letter), e.g. inventory."
            )
        return name

    def topology_file(self, explicit: str | None, directory: Path) -> Path | None:
        """The topology file to register in, or ``None`` (no default file: nothing to do)."""
        if explicit:
            path = Path(explicit).expanduser().resolve()
            if not path.is_file():
                raise CommandError(f"The topology file {path} does not exist.")
            return path
        default = directory / "topology.toml"
        return default if default.is_file() else None

    def check_topology(
        self, path: Path, service: str, slug: str, package: str, port: int | None
    ) -> int:
        """Refuse a name, slug, package or port the topology already has; return the port."""
        try:
            with path.open("rb") as handle:
                entries = tomllib.load(handle).get("service", [])
        except tomllib.TOMLDecodeError as exc:
            raise CommandError(f"{path} is not valid TOML: {exc}") from exc
        names = {entry.get("name") for entry in entries}
        missing = [callee for callee in CALLS if callee not in names]
        if missing:
            raise CommandError(
                f"{path} has no {', '.join(missing)}, which the new service calls; add it first."
            )
        for key, value in (("name", service), ("slug", slug), ("package", package)):
            if any(entry.get(key) == value for entry in entries):
                raise CommandError(
                    f"{path} already has a service with {key} {value!r}: choose another name."
                )
        ports = {int(entry["port"]) for entry in entries if "port" in entry}
        if port is None:
            return max(ports, default=8000) + 1
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a TCP port (1-65535).")
        if port in ports:
            raise CommandError(f"{path} already has a service on port {port}: choose another.")
        return port

    def _remove_partial(self, top_dir: Path) -> None:
        for path in sorted(top_dir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        top_dir.rmdir()

    def summary(
        self, service: str, package: str, top_dir: Path, topology: Path | None, port: int
    ) -> str:
        """What was written and the next commands to run."""
        manage = f"python -m {package}.manage"
        registered = (
            f"Registered {service} on port {port} in {topology}."
            if topology is not None
            else "No topology file: nothing registered (see --topology)."
        )
        return (
            f"Created {service} in {top_dir}.\n{registered}\n"
            f"Next:\n"
            f"  SERVICE_AUTH_TOKEN=x {manage} test {package}\n"
            f"  SERVICE_AUTH_TOKEN=x {manage} makemigrations --check --dry-run\n"
            f"  python -m services.runner   # starts it with the others, if registered\n"
        )


def package_path(directory: Path) -> list[str]:
    """The dotted package of ``directory``: its name and its parents' while they are packages
    (hold an ``__init__.py``); ``[]`` for a directory on ``sys.path`` that is no package."""
    parts: list[str] = []
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return parts


def register(path: Path, *, service: str, package: str, port: int, slug: str) -> None:
    """Append the service's ``[[service]]`` table to the topology file (comments kept)."""
    calls = ", ".join(f'"{callee}"' for callee in CALLS)
    table = (
        f"\n[[service]]\n"
        f'name = "{service}"\n'
        f'package = "{package}"\n'
        f"port = {port}\n"
        f'slug = "{slug}"\n'
        f"calls = [{calls}]\n"
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n" + table, encoding="utf-8")
