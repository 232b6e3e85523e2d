"""Histories the workflow tests recorded (tests/replay/histories, one per stage type and
outcome) replayed against the current workflow code: a change that would make a running
instance take another path on replay fails here. Such a change goes behind
`workflow.patched(...)` (README: "Workflow code changes"). New histories are recorded by
tests/integration/test_workflow_records.py run with RECORD_WORKFLOW_HISTORIES=<this dir>/histories
(keep the old ones beside them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from schemas.workflow_runs import WORKFLOW_TYPE, PlanIn, PlanOut
from workers.temporal.workflows import InstanceWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_there_is_a_history_of_every_stage_type():
    names = {p.stem for p in HISTORIES}
    assert {"tasks-succeed", "approved", "event-signalled", "cancelled-while-waiting"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_the_current_workflow_replays_the_recorded_history(path: Path):
    result = asyncio.run(Replayer(workflows=[InstanceWorkflow]).replay_workflow(_history(path)))
    assert result.replay_failure is None


@workflow.defn(name=WORKFLOW_TYPE)
class ReorderedWorkflow(InstanceWorkflow):
    """What an unguarded change looks like: a new activity before the plan."""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.started is not None)
        assert self.started is not None
        await workflow.execute_activity(
            "plan",
            PlanIn(str(self.started["instance_id"])),
            result_type=PlanOut,
            start_to_close_timeout=timedelta(seconds=5),
        )
        await workflow.execute_activity(
            "audit", PlanIn("x"), start_to_close_timeout=timedelta(seconds=5)
        )
        return await super().run()


def test_an_unguarded_change_fails_the_replay():
    replayer = Replayer(workflows=[ReorderedWorkflow])
    history = _history(HISTORIES[0])
    with pytest.raises(Exception, match="[Nn]ondetermin"):
        asyncio.run(replayer.replay_workflow(history))
