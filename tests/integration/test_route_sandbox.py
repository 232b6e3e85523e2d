"""User programs (jq transforms, CEL filters) in the sandbox processes: runaway ones end
in an error Evaluation within the limit, and the pool keeps answering."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from domain.routing.spec import RouteSpec
from workers.router.sandbox import SandboxEvaluator

TIMEOUT_MS = 800
EVENT = {
    "id": "e-1",
    "type": "io.signalyard.task.completed.v1",
    "source": "/orgs/o/tasks/t",
    "data": {"task_id": "t1", "n": 3},
}


@pytest.fixture(scope="module")
def sandbox():
    evaluator = SandboxEvaluator(timeout_ms=TIMEOUT_MS, memory_mb=256, workers=2)
    yield evaluator
    evaluator.close()


def route(transform=None, filter=None, target="task-{data.task_id}", route_id=None):
    return RouteSpec(
        route_id=route_id,
        version=1,
        organization_id=None,
        event_type="io.signalyard.task.*.v1",
        source="/orgs/*/tasks/*",
        target_wf_id=target,
        signal_name="done",
        transform=transform,
        filter=filter,
    )


def test_a_matching_event_is_filtered_transformed_and_targeted(sandbox):
    result = sandbox.evaluate(route("{n: (.data.n + 1)}", "data.n > 1", route_id=uuid4()), EVENT)
    assert (result.matched, result.filter_result, result.output) == (True, True, {"n": 4})
    assert result.target == "task-t1" and result.error is None and result.would_signal


def test_an_event_of_another_type_does_not_match(sandbox):
    other = {**EVENT, "type": "io.signalyard.skill.created.v1"}
    assert sandbox.evaluate(route(".data"), other).matched is False


def test_a_false_filter_stops_before_the_transform(sandbox):
    result = sandbox.evaluate(route('error("not reached")', "data.n > 10"), EVENT)
    assert (result.filter_result, result.error, result.would_signal) == (False, None, False)


def test_check_names_each_field_that_does_not_compile(sandbox):
    errors = dict(sandbox.check("type ==", ".a |||"))
    assert set(errors) == {"filter", "transform"}
    assert sandbox.check("data.n > 1", ".data") == []
    assert [f for f, _ in sandbox.check(None, 'import "x" as $d; .')] == ["transform"]


def test_a_missing_key_in_the_target_template_is_named(sandbox):
    result = sandbox.evaluate(route(".data", target="wf-{data.nope}"), EVENT)
    assert result.error is not None and result.error.field == "target_wf_id"
    assert "data.nope" in result.error.message


def test_the_transform_sees_no_environment(sandbox):
    result = sandbox.evaluate(route("env | keys"), EVENT)
    assert not any("DATABASE" in key or "TOKEN" in key for key in result.output)


@pytest.mark.parametrize(
    "program",
    [
        "def f: f; f",
        "last(repeat(1))",
        "[range(1e12)]",
        "def f: 1+f; f",
        '"x" | until(length > 1e12; . + .)',
    ],
)
def test_a_runaway_transform_ends_in_an_error_within_the_limit(sandbox, program):
    started = time.monotonic()
    result = sandbox.evaluate(route(program, route_id=uuid4()), EVENT)
    elapsed = time.monotonic() - started
    assert result.error is not None and result.error.field == "transform", result
    assert elapsed < TIMEOUT_MS / 1000 + 1.5
    after = sandbox.evaluate(route(".data.n"), EVENT)
    assert after.output == 3 and after.error is None


def test_the_pool_answers_while_one_process_runs_away(sandbox):
    sandbox.warm()  # both processes started (a kill above replaced one)
    stuck = threading.Thread(target=sandbox.evaluate, args=(route("def f: f; f"), EVENT))
    stuck.start()
    time.sleep(0.1)
    started = time.monotonic()
    result = sandbox.evaluate(route(".data.n"), EVENT)
    assert result.output == 3 and time.monotonic() - started < TIMEOUT_MS / 1000 / 2
    stuck.join()
