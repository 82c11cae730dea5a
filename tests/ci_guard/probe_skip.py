"""Run only by tests/test_conftest.py (the name keeps pytest from collecting it on its own)."""

import pytest


def test_skipped_on_purpose():
    pytest.skip("probe reason")
