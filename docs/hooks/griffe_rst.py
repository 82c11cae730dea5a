"""griffe extension: the docstrings' reStructuredText roles read as code in the API reference.

The suite's docstrings use Sphinx roles (``:class:`BaseModel```) and ``::`` before literal
blocks; mkdocstrings renders Markdown, so a role becomes an inline code span and ``::`` a colon.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
LITERAL_BLOCK = re.compile(r"(\S)::$", re.MULTILINE)


def markdown(docstring: str) -> str:
    """``docstring`` with its roles turned into code spans and ``text::`` into ``text:``."""
    return LITERAL_BLOCK.sub(r"\1:", ROLE.sub(r"`\1`", docstring))


class RstRoles(griffe.Extension):
    """Rewrites each object's docstring with :func:`markdown` when griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called by griffe for every object it reads."""
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
