"""Schemathesis against the published /openapi.json of a running stack, as an admin: no
answer is a 5xx, and every status, media type and body is the one the document declares."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from support.api import created, unique
from support.stack import Stack, start_stack

CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
}


@pytest.fixture(scope="module")
def own_stack(module_db_url: str) -> Iterator[Stack]:
    """Its own stack: fuzzed platform-wide writes (tools, users) stay out of other tests."""
    running = start_stack(module_db_url)
    try:
        yield running
    finally:
        running.stop()


def _config(stack: Stack, org: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261201,
            "base-url": stack.base_url,
            "headers": {"Authorization": f"Bearer {stack.admin_token}"},
            "checks": CHECKS,
            "generation": {
                "max-examples": 2,
                "no-shrink": True,
                "deterministic": True,
                "database": "none",
            },
            "cache": {"enabled": False},
            "phases": {"stateful": {"max-steps": 20}},
            # A real organization, so org-scoped operations get past the 404.
            # Without min_position: a position never reached waits the read-your-writes timeout
            # out, then answers 503 (declared); the fuzzed value says nothing of the contract.
            "parameters": {"path.org": org, "query.min_position": 0},
            "workers": 2,
        }
    )


def _failures(recorder) -> Iterator[str]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is not None:
                failure = check.failure_info.failure
                response = recorder.find_response(case_id=case_id)
                status = response.status_code if response is not None else None
                yield f"{failure.operation} -> {status}: {failure.title}: {failure.message}"
                yield "    " + check.failure_info.code_sample.replace("\n", "\n    ")


def run(schema) -> tuple[list[str], dict[str, float]]:
    found: dict[str, str] = {}
    timings: dict[str, float] = {}
    started = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            started[event.phase.name] = time.monotonic()
        elif isinstance(event, events.PhaseFinished):
            timings[event.phase.name] = time.monotonic() - started[event.phase.name]
        elif isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            lines = list(_failures(event.recorder))
            for title, sample in zip(lines[::2], lines[1::2], strict=True):
                found.setdefault(title, sample)
        elif isinstance(event, events.NonFatalError):
            found.setdefault(f"{event.label}: {event.value!r}", "")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return [f"{t}\n{s}" for t, s in found.items()], timings


def test_every_answer_is_the_one_the_contract_declares(own_stack):
    with own_stack.admin() as admin:
        org = created(admin.post("/v1/orgs", json={"name": unique("fuzz")}))["slug"]
        spec = admin.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec, config=_config(own_stack, org))
    failures, timings = run(schema)
    print("schemathesis seconds per phase:", {k: round(v, 1) for k, v in timings.items()})
    assert not failures, "\n".join(failures)
