"""Schemathesis against the running server's own OpenAPI schema: every route, uploads included.

Each generated request (valid and invalid data) goes to a real `ragqa serve` on loopback,
over a copy of the corpus, and its response is checked by schemathesis' default checks: no
5xx, status codes, content types, headers and bodies as the schema documents them, invalid
data rejected. The server's own metrics then confirm that no 5xx was answered.

CI runs ``RAGQA_FUZZ_EXAMPLES`` (default 80) examples per operation and data mode; a release
runs more (README, *Reliability*).
"""

from __future__ import annotations

import os
import re

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support import Server

EXAMPLES = int(os.environ.get("RAGQA_FUZZ_EXAMPLES", "80"))

pytestmark = [pytest.mark.fuzz, pytest.mark.heavy]


# What OpenAPI cannot say, so schema-valid requests are rightly refused and that one check is
# off: whether an upload's bytes are a readable document (415/422), and whether the *last*
# user message of a chat holds a question (422).
EXCLUDED = {"POST /v1/documents": [schemathesis.checks.positive_data_acceptance],
            "POST /v1/chat/completions": [schemathesis.checks.positive_data_acceptance]}


def fuzz_operation(operation, mode: GenerationMode, session: requests.Session,
                   sent: list[str]) -> None:
    # schemathesis' own pytest plugin does not run under pytest 9, so each operation gets a
    # plain Hypothesis test over schemathesis' strategy for it.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    def run(case) -> None:
        sent.append(operation.label)
        case.call_and_validate(session=session, timeout=60,
                               excluded_checks=EXCLUDED.get(operation.label))

    try:
        run()
    except Unsatisfiable:
        pass  # nothing in this operation can be made invalid (no parameters, free strings)


def test_every_operation_conforms_to_its_schema(served_copy: Server):
    schema = schemathesis.openapi.from_url(f"{served_copy.base_url}/openapi.json")
    sent: list[str] = []
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    fuzz_operation(operation, mode, session, sent)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect all
                    failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    metrics = httpx.get(f"{served_copy.base_url}/metrics", timeout=30).text
    counted, server_errors = _count(metrics)
    print(f"\nfuzz: {len(sent)} generated requests over {len(operations)} operations "
          f"({EXAMPLES} examples per operation and mode); the server counted {counted} "
          f"requests, {server_errors} answered with a 5xx")
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())
    assert server_errors == 0
    assert counted >= len(sent)
    assert httpx.get(f"{served_copy.base_url}/health", timeout=30).status_code == 200
    assert "Traceback" not in served_copy.output()


def _count(metrics: str) -> tuple[int, int]:
    total = server_errors = 0
    for line in metrics.splitlines():
        match = re.match(r'ragqa_http_requests_total\{.*status="(\d+)".*\} ([\d.e+]+)', line)
        if match:
            total += int(float(match.group(2)))
            if match.group(1).startswith("5"):
                server_errors += int(float(match.group(2)))
    return total, server_errors
