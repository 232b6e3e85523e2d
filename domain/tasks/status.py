"""The task status machine: which status each command may leave from, and where it goes.

pending -> queued -> dispatched -> running -> succeeded | failed | cancelled | timed_out;
a finished task is retried as a new attempt (back to queued), and a lost dispatcher's
task is queued again as a new attempt too.
"""

from __future__ import annotations

from enum import StrEnum

from domain.core.errors import TransitionRefused


class TaskStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TIMED_OUT}
)
LIVE = frozenset({TaskStatus.DISPATCHED, TaskStatus.RUNNING})  # an attempt holds a runtime

# command -> the statuses it may be given in (its target is the command's own business).
ALLOWED_FROM: dict[str, frozenset[TaskStatus]] = {
    "queue": frozenset({TaskStatus.PENDING}),
    "declare_secrets": frozenset({TaskStatus.PENDING}),
    # Claimed, and held back from starting (a secret backend or the runtime target is down).
    "wait": frozenset({TaskStatus.DISPATCHED}),
    "claim": frozenset({TaskStatus.QUEUED}),
    "start": frozenset({TaskStatus.DISPATCHED}),
    "report_progress": LIVE,
    "succeed": LIVE,
    "fail": LIVE,
    "time_out": LIVE,
    "requeue_lost": LIVE,
    "confirm_cancelled": LIVE,
    # Cancelling a live attempt only asks the runtime to stop it (cancel_requested).
    "cancel": frozenset({TaskStatus.PENDING, TaskStatus.QUEUED}) | LIVE,
    # A succeeded task keeps its result: retrying is for tasks that did not succeed.
    "retry": frozenset({TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.TIMED_OUT}),
}


def require_allowed(command: str, status: str) -> None:
    if status not in ALLOWED_FROM[command]:
        raise TransitionRefused(
            f"a task that is {status} cannot {command.replace('_', ' ')}",
            current_status=str(status),
        )
