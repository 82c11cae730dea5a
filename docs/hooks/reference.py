"""mkdocs hook: the API reference pages, one per app, from ``extra.api_reference`` in mkdocs.yml.

Each page is a ``::: module`` block per listed module, rendered by mkdocstrings from the
docstrings; the module list lives in mkdocs.yml only, so moving a module is a one-line change.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files


def reference_page(app: str, modules: list[str]) -> str:
    """The Markdown of one app's reference page."""
    blocks = "\n\n".join(f"::: {module}" for module in modules)
    return (
        f"# {app} API reference\n\n"
        f"Generated from the docstrings of `{app}`'s public modules "
        f"(see also the [{app} guide](../{app}.md)).\n\n{blocks}\n"
    )


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add ``reference/<app>.md`` for every app listed in ``extra.api_reference``."""
    for app, modules in config.extra["api_reference"].items():
        files.append(
            File.generated(config, f"reference/{app}.md", content=reference_page(app, modules))
        )
    return files
