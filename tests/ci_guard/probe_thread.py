"""Run only by tests/test_conftest.py (the name keeps pytest from collecting it on its own)."""

import threading

import pytest


def _die() -> None:
    raise RuntimeError("probe thread died")


def _run_dying_thread() -> None:
    thread = threading.Thread(target=_die, name="probe-thread")
    thread.start()
    thread.join()


def test_a_thread_dies_during_the_test():
    _run_dying_thread()


def test_a_quiet_test_after_it():
    assert True


@pytest.fixture(scope="module")
def dies_at_module_teardown():
    yield
    _run_dying_thread()


def test_uses_a_fixture_whose_teardown_kills_a_thread(dies_at_module_teardown):
    assert True
