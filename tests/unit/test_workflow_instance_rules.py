"""Rules of workflow instances that need no server: ids derived once, inputs and briefs
filled from the context and earlier stages, the instance's status machine, and the task's
outcome events that carry the workflow they report to (older stored ones upcast)."""

from __future__ import annotations

import json
import uuid

import pytest
from test_task_status_machine import META, new_task

from domain.core.errors import Conflict, InvalidInput
from domain.plumbing.store import EventStore
from domain.workflows.instance import WorkflowInstance, instance_slug, temporal_wf_id
from domain.workflows.instance_inputs import lookup, render_brief, stage_inputs
from domain.workflows.stage_execution import execution_id, stage_task_id

CONTEXT = {"repo": "signalyard", "ticket": {"id": 42, "tags": ["a", "b"]}}
RESULTS = {"plan": {"status": "succeeded", "output": {"summary": "do it", "files": 3}}}


def new_instance() -> WorkflowInstance:
    guid = uuid.uuid4()
    return WorkflowInstance(
        id=guid,
        organization_id=uuid.uuid4(),
        team_id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        name="i",
        slug=instance_slug(guid),
        description="",
        template_id=uuid.uuid4(),
        template_version=1,
        temporal_wf_id=temporal_wf_id(guid),
        input_context={},
        meta=META,
    )


def test_ids_are_derived_so_a_repeat_names_the_same_thing():
    guid = uuid.uuid4()
    assert temporal_wf_id(guid) == f"workflow-instance-{guid}"
    assert temporal_wf_id(guid, 2) == f"workflow-instance-{guid}-run-2"
    assert execution_id(guid, 1, "plan", 1) == execution_id(guid, 1, "plan", 1)
    tasks = {stage_task_id(guid, run, "plan", attempt) for run in (1, 2) for attempt in (1, 2)}
    assert len(tasks) == 4  # one task per run and attempt
    assert stage_task_id(guid, 1, "plan", 1) != execution_id(guid, 1, "plan", 1)


def test_inputs_come_from_the_context_and_earlier_stages_outputs():
    stage = {"inputs": {"ticket": "context.ticket.id", "n": "stages.plan.output.files"}}
    assert stage_inputs(stage, CONTEXT, RESULTS) == {"ticket": 42, "n": 3}
    assert lookup("context.ticket.tags.1", CONTEXT, RESULTS) == "b"
    brief = "Fix {context.repo}: {stages.plan.output.summary} ({context.ticket})"
    assert render_brief(brief, CONTEXT, RESULTS) == (
        'Fix signalyard: do it ({"id": 42, "tags": ["a", "b"]})'
    )


@pytest.mark.parametrize(
    "path", ["context.missing", "stages.plan.output.nope", "stages.later.output.x", "elsewhere.x"]
)
def test_a_path_with_nothing_there_is_refused_naming_it(path):
    with pytest.raises(InvalidInput) as caught:
        lookup(path, CONTEXT, RESULTS)
    assert path in caught.value.message


def test_an_instance_begins_a_run_once_and_finishes_once():
    instance = new_instance()
    assert instance.begin_run(1, META) is True
    assert instance.begin_run(1, META) is False  # an activity run again
    instance.record_stage_result(1, "plan", "succeeded", {"x": 1}, META)
    instance.record_stage_result(1, "plan", "succeeded", {"x": 1}, META)
    assert len([e for e in instance.collect_events() if "StageResult" in type(e).__name__]) == 1
    assert instance.finish(1, "failed", "stage 'plan' failed", "plan", META) is True
    assert instance.finish(1, "succeeded", None, None, META) is False
    assert instance.status == "failed" and instance.failed_stage == "plan"
    with pytest.raises(Conflict):
        instance.command("signal", "x", {}, None, None, META)


def test_retry_starts_the_next_run_from_the_failed_stage_and_only_then():
    instance = new_instance()
    with pytest.raises(Conflict):
        instance.retry(META)  # nothing failed
    instance.begin_run(1, META)
    instance.finish(1, "failed", "boom", "review", META)
    instance.retry(META)
    assert instance.run == 2 and instance.status == "pending"
    assert instance.temporal_wf_id.endswith("-run-2")
    with pytest.raises(Conflict):
        instance.begin_run(1, META)  # the old run records nothing more
    assert instance.finish(1, "succeeded", None, None, META) is False


def test_a_tasks_outcome_carries_the_workflow_it_reports_to():
    task = new_task()
    task.bind_to_workflow("workflow-instance-x", META)
    task.queue("q", META)
    task.claim("d", 1, META)
    task.succeed(1, {"ok": True}, META)
    outcome = task.collect_events()[-1]
    assert outcome.workflow_id == "workflow-instance-x"  # type: ignore[attr-defined]


def test_an_outcome_stored_before_workflows_loads_with_no_workflow():
    store = EventStore()
    task = new_task()
    task.queue("q", META)
    task.claim("d", 1, META)
    task.fail(1, {"message": "x"}, META)
    stored = store.mapper.to_stored_event(task.collect_events()[-1])
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["workflow_id"]  # as version 1 wrote it
    old = type(stored)(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    assert store.mapper.to_domain_event(old).workflow_id is None  # type: ignore[attr-defined]
