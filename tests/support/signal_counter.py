"""A workflow that counts the signals it handles by the `id` of their payload, whatever the
signal's name: what the router tests check "acted on exactly once" against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporalio import workflow
from temporalio.common import RawValue

TASK_QUEUE_PREFIX = "signal-counter"


@workflow.defn(name="SignalCounter")
class SignalCounter:
    def __init__(self) -> None:
        self.handled: dict[str, int] = {}
        self.handled_at: dict[str, str] = {}  # first handling, ISO time of the workflow task
        self.finished = False

    @workflow.run
    async def run(self) -> dict[str, int]:
        await workflow.wait_condition(lambda: self.finished)
        return self.handled

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        payload = workflow.payload_converter().from_payload(args[0].payload) if args else None
        key = str(payload.get("id")) if isinstance(payload, dict) else repr(payload)
        self.handled[key] = self.handled.get(key, 0) + 1
        self.handled_at.setdefault(key, _iso(workflow.now()))

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self.finished = True

    @workflow.query(name="handled")
    def counts(self) -> dict[str, int]:
        return self.handled

    @workflow.query(name="handled_at")
    def times(self) -> dict[str, str]:
        return self.handled_at


def _iso(moment: datetime) -> str:
    return moment.isoformat()
