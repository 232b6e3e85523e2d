"""Schemathesis against the published /openapi.json of a running stack, as an admin: no
answer is a 5xx, and every status, media type and body is the one the document declares."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from support.api import created, unique
from support.stack import Stack, running_stack

ON, OFF = {"enabled": True}, {"enabled": False}
CHECKS = {
    "enabled": False,  # only those named ON below
    "not_a_server_error": ON,
    "status_code_conformance": ON,
    "content_type_conformance": ON,
    "response_schema_conformance": ON,
    "response_headers_conformance": ON,
    "negative_data_rejection": ON,
    "ignored_auth": ON,
    "unsupported_method": ON,
    "allow_header_conformance": ON,
    # Schema-valid is not domain-valid: category JSON Schemas, opaque page tokens, taken slugs.
    "positive_data_acceptance": OFF,
    # A caller reads its own writes (session consistency): what it created is there at once.
    "use_after_free": ON,
    "ensure_resource_availability": ON,
    "missing_required_header": ON,
    # Needs a second tenant's credentials; tenant isolation has its own tests.
    "object_level_authorization": OFF,
}


@pytest.fixture(scope="module")
def own_stack(module_db_url: str) -> Iterator[Stack]:
    """Its own stack: fuzzed platform-wide writes (tools, users) stay out of other tests."""
    with running_stack(module_db_url) as running:
        yield running


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
            "phases": {
                # Positive only: its negative cases (~30 per operation) would triple the run;
                # fuzzing still sends negative data, a few per operation.
                "coverage": {"checks": CHECKS, "generation": {"mode": "positive"}},
                "fuzzing": {"checks": CHECKS},
                "stateful": {"max-steps": 10, "checks": CHECKS},
            },
            # A real organization, so org-scoped operations get past the 404.
            "parameters": {"path.org": org},
            # One worker: with two, schemathesis' threads raised a CPython 3.11 SystemError
            # ("AST constructor recursion depth mismatch").
            "workers": 1,
        }
    )


def before_call(context, case, kwargs) -> None:
    """A valid Idempotency-Key is made unique: a reused one replays the first answer whatever
    the headers (by design, tested in test_conventions), which no stateless check can model."""
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and 1 <= len(key) <= 255:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def _failures(recorder) -> Iterator[str]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is not None:
                failure = check.failure_info.failure
                response = recorder.find_response(case_id=case_id)
                status = response.status_code if response is not None else None
                yield f"{failure.operation} -> {status} [{check.name}]: {failure.message}"
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
    schemathesis.hook(before_call)  # hooks on `before_call` are process-wide only
    try:
        failures, timings = run(schema)
    finally:
        schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.unregister(before_call)
    print("schemathesis seconds per phase:", {k: round(v, 1) for k, v in timings.items()})
    assert not failures, "\n".join(failures)
