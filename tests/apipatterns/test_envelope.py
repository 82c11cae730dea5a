"""apipatterns.envelope.unwrap: the object another service's answer carries."""

from __future__ import annotations

import pytest

from apipatterns.envelope import unwrap


def test_an_envelope_gives_its_data_object():
    assert unwrap({"data": {"id": 1}, "meta": {"request_id": "r"}}) == {"id": 1}


def test_a_bare_object_is_its_own_data():
    assert unwrap({"id": 1}) == {"id": 1}


@pytest.mark.parametrize("body", [None, [1, 2], "text", 3, {"data": [1]}, {"data": None}])
def test_anything_but_an_object_gives_none(body):
    assert unwrap(body) is None
