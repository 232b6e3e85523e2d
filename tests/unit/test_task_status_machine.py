"""The task status machine: every command from every status, legal or refused, and the
attempt as a fencing token (no I/O: the aggregate alone)."""

from __future__ import annotations

import uuid

import pytest

from domain.core.errors import StaleAttempt, TransitionRefused
from domain.tasks.status import ALLOWED_FROM, TaskStatus
from domain.tasks.task import Task, task_slug

SECRETS = [{"name": "openai-key", "as": "env", "env_var": "OPENAI_API_KEY"}]
META = {"actor": "tester", "correlation_id": "c", "causation_id": None, "tenant_id": None}


def new_task() -> Task:
    task_id = uuid.uuid4()
    return Task(
        id=task_id,
        organization_id=uuid.uuid4(),
        team_id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        name="t",
        slug=task_slug(task_id),
        description="",
        agent_image="org/agent:1",
        brief_key="sha256:" + "0" * 64,
        callback_url=None,
        skills=[],
        configs=[],
        tools=[],
        agent_definition=None,
        runtime_target={"guid": str(uuid.uuid4()), "source": "org_default"},
        input={},
        timeout_seconds=60,
        resources={},
        meta=META,
    )


# The commands that take us to each status from a new task.
ROUTE = {
    TaskStatus.PENDING: [],
    TaskStatus.QUEUED: ["queue"],
    TaskStatus.DISPATCHED: ["queue", "claim"],
    TaskStatus.RUNNING: ["queue", "claim", "start"],
    TaskStatus.SUCCEEDED: ["queue", "claim", "start", "succeed"],
    TaskStatus.FAILED: ["queue", "claim", "start", "fail"],
    TaskStatus.CANCELLED: ["queue", "cancel"],
    TaskStatus.TIMED_OUT: ["queue", "claim", "start", "time_out"],
}


def run(task: Task, command: str, attempt: int | None = None) -> None:
    n = task.attempt if attempt is None else attempt
    calls = {
        "queue": lambda: task.queue("r", meta=META),
        "claim": lambda: task.claim("d-1", n, meta=META),
        "start": lambda: task.start(n, meta=META),
        "report_progress": lambda: task.report_progress(n, {"pct": 5}, meta=META),
        "succeed": lambda: task.succeed(n, {"ok": True}, meta=META),
        "fail": lambda: task.fail(n, {"message": "boom"}, meta=META),
        "time_out": lambda: task.time_out(n, meta=META),
        "requeue_lost": lambda: task.requeue_lost(n, "lost", meta=META),
        "confirm_cancelled": lambda: task.confirm_cancelled(n, meta=META),
        "cancel": lambda: task.cancel("stop", meta=META),
        "retry": lambda: task.retry("again", meta=META),
        "declare_secrets": lambda: task.declare_secrets(SECRETS, meta=META),
        "wait": lambda: task.wait(n, "vault is down", meta=META),
    }
    calls[command]()


def task_in(status: TaskStatus) -> Task:
    task = new_task()
    for command in ROUTE[status]:
        run(task, command)
    assert task.status == status
    return task


EXPECTED = {
    "queue": TaskStatus.QUEUED,
    "claim": TaskStatus.DISPATCHED,
    "start": TaskStatus.RUNNING,
    "succeed": TaskStatus.SUCCEEDED,
    "fail": TaskStatus.FAILED,
    "time_out": TaskStatus.TIMED_OUT,
    "requeue_lost": TaskStatus.QUEUED,
    "confirm_cancelled": TaskStatus.CANCELLED,
    "retry": TaskStatus.QUEUED,
}


@pytest.mark.parametrize("status", list(TaskStatus))
@pytest.mark.parametrize("command", sorted(ALLOWED_FROM))
def test_each_command_moves_a_task_only_from_the_statuses_it_allows(status, command):
    task = task_in(status)
    before = task.version
    if status in ALLOWED_FROM[command]:
        run(task, command)
        assert task.version == before + 1
        if command == "cancel":
            live = status in (TaskStatus.DISPATCHED, TaskStatus.RUNNING)
            assert task.status == (status if live else TaskStatus.CANCELLED)
            assert task.cancel_requested is live
        elif command == "report_progress":
            assert task.status == status and task.progress == {"pct": 5}
        elif command == "declare_secrets":
            assert task.status == status and task.secrets == SECRETS
        elif command == "wait":
            assert task.status == status and task.waiting_reason == "vault is down"
        else:
            assert task.status == EXPECTED[command]
    else:
        with pytest.raises(TransitionRefused) as refused:
            run(task, command)
        assert refused.value.current_status == status.value
        assert status.value in refused.value.message
        assert task.version == before and not task.collect_events()[len(ROUTE[status]) + 1 :]


def test_the_legal_paths_of_the_seed_are_all_reachable():
    task = task_in(TaskStatus.RUNNING)
    run(task, "succeed")
    assert task.result == {"ok": True} and task.status == "succeeded"


def test_a_report_from_an_old_attempt_is_refused_after_a_requeue():
    task = task_in(TaskStatus.RUNNING)
    run(task, "requeue_lost")
    assert (task.status, task.attempt, task.dispatcher_id) == ("queued", 2, None)
    for command in ("start", "succeed", "fail", "report_progress", "time_out", "claim"):
        with pytest.raises(StaleAttempt) as stale:
            run(task, command, attempt=1)
        assert stale.value.current_attempt == 2
    run(task, "claim", attempt=2)
    assert task.status == "dispatched"


def test_fencing_is_checked_before_the_status():
    task = task_in(TaskStatus.SUCCEEDED)
    with pytest.raises(StaleAttempt):
        task.succeed(7, {}, meta=META)


def test_retry_starts_a_new_attempt_that_forgets_the_old_outcome():
    task = task_in(TaskStatus.FAILED)
    assert task.error == {"message": "boom"} and task.reason == "boom"
    run(task, "retry")
    assert (task.status, task.attempt, task.error, task.dispatcher_id) == ("queued", 2, None, None)


def test_cancelling_a_running_task_asks_the_runtime_then_it_confirms():
    task = task_in(TaskStatus.RUNNING)
    run(task, "cancel")
    assert task.status == "running" and task.cancel_requested and task.reason == "stop"
    version = task.version
    run(task, "cancel")  # asking again records nothing
    assert task.version == version
    run(task, "confirm_cancelled")
    assert task.status == "cancelled" and task.reason == "stop"


def test_a_claim_records_the_dispatcher_and_a_deadline():
    task = task_in(TaskStatus.DISPATCHED)
    assert task.dispatcher_id == "d-1"
    assert task.deadline_at is not None
    assert (task.deadline_at - task.modified_on).total_seconds() == pytest.approx(60, abs=1)


def test_every_transition_event_names_status_reason_and_attempt():
    task = task_in(TaskStatus.RUNNING)
    run(task, "requeue_lost")
    events = task.collect_events()[1:]
    assert [type(e).__name__ for e in events] == ["Queued", "Claimed", "Started", "Requeued"]
    for event in events:
        assert event.status and event.reason and event.attempt >= 1
    assert events[-1].attempt == 2 and events[-1].reason == "lost"


def test_a_task_replays_to_the_same_state_from_its_events():
    task = task_in(TaskStatus.RUNNING)
    run(task, "cancel")
    events = task.collect_events()
    copy = None
    for event in events:
        copy = event.mutate(copy)
    assert copy is not None
    assert (copy.status, copy.attempt, copy.cancel_requested) == ("running", 1, True)


def test_a_wait_is_recorded_once_per_reason_and_forgotten_when_the_task_moves_on():
    task = task_in(TaskStatus.DISPATCHED)
    assert task.wait(1, "vault is down", meta=META) is True
    version = task.version
    assert task.wait(1, "vault is down", meta=META) is False  # a retry, not a change
    assert task.version == version
    assert task.wait(1, "vault is sealed", meta=META) is True
    with pytest.raises(StaleAttempt):
        task.wait(2, "vault is down", meta=META)
    run(task, "start")
    assert task.waiting_reason is None
    copy = None
    for event in task.collect_events():
        copy = event.mutate(copy)
    assert copy is not None and copy.waiting_reason is None and copy.status == "running"
