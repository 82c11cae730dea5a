"""accounts.lockout: allauth's rate strings, and how long a refusal still lasts."""

from __future__ import annotations

import pytest

from accounts import lockout
from accounts.lockout import Rate, parse_rates


def test_parse_rates_reads_allauths_syntax():
    assert parse_rates("10/m/ip,5/300s/key") == [Rate(10, 60, "ip"), Rate(5, 300, "key")]
    assert parse_rates("5/m/user, 1/2h/key ,3/d/ip") == [
        Rate(5, 60, "user"),
        Rate(1, 7200, "key"),
        Rate(3, 86400, "ip"),
    ]
    assert parse_rates("") == parse_rates(None) == parse_rates("x/m/ip,5/week/key") == []


@pytest.fixture
def request_from(rf):
    return lambda address: rf.post("/", REMOTE_ADDR=address)


def test_remaining_is_the_time_until_enough_failures_leave_the_window(request_from):
    request = request_from("192.0.2.1")
    for second in range(5):  # five failures at t = 1000 … 1004
        lockout.record(request, "login_failed", key="Ann@Example.com", now=1000.0 + second)
    # Five failures per account in 300 s: locked until the first one is 300 s old.
    assert lockout.remaining(request, "login_failed", key="ann@example.com", now=1010) == 290
    assert lockout.retry_after(request, "login_failed", key="ann@example.com", now=1010) == 290
    assert lockout.remaining(request, "login_failed", key="ann@example.com", now=1300) == 0
    # Another account, from the same address (5 of its 10 per minute used): not refused.
    assert lockout.remaining(request, "login_failed", key="bob@example.com", now=1010) == 0


def test_the_per_client_window_counts_across_accounts(request_from):
    request = request_from("192.0.2.2")
    for index in range(10):
        lockout.record(request, "login_failed", key=f"u{index}@example.com", now=2000.0 + index)
    assert lockout.retry_after(request, "login_failed", key="new@example.com", now=2010) == 50
    assert lockout.remaining(request_from("192.0.2.3"), "login_failed", key="x", now=2010) == 0


def test_without_a_record_the_wait_is_the_longest_window(request_from):
    assert lockout.retry_after(request_from("192.0.2.4"), "login_failed", key="z") == 300


def test_the_cache_holds_neither_emails_nor_addresses(request_from):
    from django.core.cache import cache

    lockout.record(request_from("192.0.2.5"), "login_failed", key="secret@example.com")
    key = lockout._cache_key("login_failed", "key:secret@example.com")
    assert cache.get(key)
    assert "secret" not in key and "192.0.2.5" not in key
