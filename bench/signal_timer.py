"""The bench's workflow: notes when it handled each routed signal (by the payload's `id`),
in workflow time (the start of the workflow task that ran the handler)."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue


@workflow.defn(name="SignalTimer")
class SignalTimer:
    def __init__(self) -> None:
        self.handled_at: dict[str, float] = {}
        self.finished = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.finished)
        return len(self.handled_at)

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        payload = workflow.payload_converter().from_payload(args[0].payload) if args else {}
        key = str(payload.get("id")) if isinstance(payload, dict) else repr(payload)
        self.handled_at.setdefault(key, workflow.now().timestamp())

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self.finished = True

    @workflow.query(name="handled_at")
    def times(self) -> dict[str, float]:
        return self.handled_at
