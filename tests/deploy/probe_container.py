"""Run only by tests/deploy/test_container_selection.py (the name keeps pytest from collecting it
on its own): one ``container`` test that needs podman and its helpers."""

import pytest

pytestmark = pytest.mark.container


def test_needs_the_container_tools(container_tools):
    pass
