"""shared_core.retry_after: Retry-After read in both forms, written as whole seconds >= 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared_core.retry_after import parse_retry_after, retry_after_seconds


def test_delta_seconds_are_read():
    assert parse_retry_after("120") == 120.0


def test_an_http_date_is_read_as_the_seconds_until_it():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= parse_retry_after(when) <= 61


def test_a_date_in_the_past_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_missing_or_unreadable_is_none(value):
    assert parse_retry_after(value) is None


@pytest.mark.parametrize(("wait", "seconds"), [(None, 1), (0, 1), (0.2, 1), (1.0, 1), (2.1, 3)])
def test_an_answer_is_whole_seconds_at_least_one(wait, seconds):
    assert retry_after_seconds(wait) == seconds
