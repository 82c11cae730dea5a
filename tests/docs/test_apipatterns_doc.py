"""docs/apipatterns.md: the registry example on the page runs and does what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory

from apipatterns import problems
from apipatterns.handlers import handle_exceptions, problem_for_exception

DOC = Path(__file__).resolve().parents[2] / "docs" / "apipatterns.md"


def _registry_example() -> str:
    section = DOC.read_text().split("### Your own exceptions", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return block


@pytest.fixture
def example():
    saved = dict(problems._registry)
    namespace: dict = {"__name__": "docs_example"}
    exec(compile(_registry_example(), str(DOC), "exec"), namespace)
    yield namespace
    problems._registry.clear()
    problems._registry.update(saved)


def test_the_registered_exception_becomes_the_documented_problem(example):
    problem, headers = problem_for_exception(example["QuotaExceeded"](2.5))
    assert problem["status"] == 429 and problem["code"] == "throttled"
    assert problem["retry_after"] == 3 and headers["Retry-After"] == "3"
    assert problem["detail"] == "Your plan's quota is used up."


def test_raised_in_a_view_it_answers_the_problem(example):
    @handle_exceptions
    def view(request):
        raise example["QuotaExceeded"](2.5)

    response = view(RequestFactory().get("/"))
    assert response.status_code == 429 and response["Retry-After"] == "3"
    assert response["Content-Type"] == "application/problem+json"
