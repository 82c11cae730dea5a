"""The schemathesis driver the fuzz tests use (kept apart so it can be pointed at any stack)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

#: Operations that end the session they are called with: each call gets a fresh one.
SESSION_ENDING = ("/auth/logout", "/auth/password/change")

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@dataclass
class Report:
    """What fuzzing one service found."""

    operations: int = 0
    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)  # operation -> messages

    def add_failure(self, label: str, message: str) -> None:
        found = self.failures.setdefault(label, [])
        if message not in found and len(found) < 3:
            found.append(message)

    def summary(self) -> str:
        lines = []
        for label, messages in self.failures.items():
            lines.append(f"{label}:")
            lines += [f"  {m}" for m in messages]
        return "\n".join(lines)


def describe(error: BaseException, case: Any, response: requests.Response | None) -> str:
    text = " ".join(str(error).split())[:600]
    body = ""
    if response is not None:
        body = f" -> {response.status_code} {response.headers.get('Content-Type')} "
        body += response.text[:300].replace("\n", " ")
    try:
        curl = case.as_curl_command()
    except Exception:
        curl = f"{case.method} {case.formatted_path}"
    return f"{type(error).__name__}: {text}{body}\n    {curl[:500]}"


def fuzz_service(
    base_url: str,
    headers_for: Callable[[Any], dict[str, str]],
    *,
    max_examples: int,
    skip: Callable[[Any], str | None] = lambda operation: None,
    fixed: dict[str, Any] | None = None,
) -> Report:
    """Every operation of ``base_url``'s ``/api/schema/`` with ``max_examples`` generated cases.

    Cases are valid (positive), invalid (negative) and — when ``fixed`` names a path or query
    parameter of the operation — valid with that parameter set to a real object's value, so the
    fuzzer reaches past "404 not found".
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", timeout=30)
    report = Report()
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletes after everything else (they remove the real objects the others aim at), restores
    # after the deletes (they need a deleted object).
    operations.sort(key=lambda op: (op.method.lower() == "delete", op.path.endswith("/restore")))
    for operation in operations:
        if skip(operation):
            continue
        report.operations += 1
        label = f"{operation.method.upper()} {operation.path}"

        strategies = [
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ]
        params = {(p.location.value, p.name) for p in operation.iter_parameters()}
        path_values = {k: v for k, v in (fixed or {}).items() if ("path", k) in params}
        query_values = {k: v for k, v in (fixed or {}).items() if ("query", k) in params}
        if path_values or query_values:
            strategies.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE,
                    path_parameters=path_values or None,
                    query=query_values or None,
                )
            )
        cases = st.one_of(*strategies)

        @given(case=cases)
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = None
            try:
                response = case.call(base_url=base_url, session=session, headers=headers_for(case))
                report.calls += 1
                report.statuses[response.status_code] = (
                    report.statuses.get(response.status_code, 0) + 1
                )
                case.validate_response(response, checks=CHECKS)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:
                report.add_failure(label, describe(error, case, response))

        run()
    return report


def login(user_url: str, email: str, password: str) -> str:
    response = requests.post(
        f"{user_url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=60
    )
    response.raise_for_status()
    return response.json()["data"]["token"]


if __name__ == "__main__":  # pragma: no cover - a developer's loop against a running stack
    import sys

    url, token, service_token = sys.argv[1], sys.argv[2], sys.argv[3]

    def headers(case: Any) -> dict[str, str]:
        if case.operation.path.startswith("/internal/"):
            return {"Authorization": f"Bearer {service_token}"}
        if case.operation.path.endswith(SESSION_ENDING):
            return {"X-Session-Token": login(URL0, "admin@example.com", "demo-Password-2468")}
        return {"X-Session-Token": token}

    URL0 = "http://127.0.0.1:18801"

    rep = fuzz_service(url, headers, max_examples=int(sys.argv[4]) if len(sys.argv) > 4 else 10)
    print(json.dumps({"operations": rep.operations, "calls": rep.calls, "statuses": rep.statuses}))
    print(rep.summary())
