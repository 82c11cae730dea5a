"""accounts.sessions: the lifetime rules on a real session store."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from accounts import sessions

pytestmark = pytest.mark.django_db


def new_session(user_id="1"):
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user_id
    return session


def test_deadlines(settings):
    settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT = 100, 1000
    session = new_session()
    sessions.start(session, now=10_000)
    assert sessions.expires_at(session).timestamp() == 10_100
    assert not sessions.is_expired(session, now=10_099)
    assert sessions.is_expired(session, now=10_100)
    sessions.record_activity(session, now=10_095)
    assert not sessions.is_expired(session, now=10_150)
    session[sessions.SEEN_AT_KEY] = 10_999
    assert sessions.is_expired(session, now=11_000)  # absolute, although just used


def test_activity_is_written_at_most_once_per_resolution(settings):
    settings.SESSION_IDLE_TIMEOUT = 100  # resolution: 10 s
    session = new_session()
    sessions.start(session, now=0)
    sessions.record_activity(session, now=5)
    assert session[sessions.SEEN_AT_KEY] == 0
    sessions.record_activity(session, now=11)
    assert session[sessions.SEEN_AT_KEY] == 11


def test_authenticated_session_without_stamps_counts_as_expired():
    assert sessions.is_expired(new_session())
    anonymous = import_module(settings.SESSION_ENGINE).SessionStore()
    assert not sessions.is_expired(anonymous)


def test_token_shape():
    assert sessions.is_well_formed_token("abcdefghij0123456789abcdefghij01")
    for bad in ("", "ABC", "a" * 65, None, 42, "a b"):
        assert not sessions.is_well_formed_token(bad)
