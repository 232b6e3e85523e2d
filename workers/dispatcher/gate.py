"""What must hold before a claimed attempt starts, checked by the dispatcher between the
claim and the runtime: its runtime target's infra service is not unhealthy, and its
declared secrets are resolved for it. Either one missing: the attempt waits, claimed, the
task saying why (one event per change of reason) until it holds, the attempt ends or the
task is cancelled. What cannot ever hold (a secret gone) raises: the attempt fails."""

from __future__ import annotations

from collections.abc import Callable

from domain.plumbing.store import EventStore
from domain.secrets.resolution import SecretResolver
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.task import Task
from workers.dispatcher.secrets import AttemptSecrets
from workers.dispatcher.target_health import until_target_healthy
from workers.dispatcher.waiting import Waiting
from workers.runtimes.spec import LaunchSpec


class LaunchGate:
    def __init__(
        self,
        store: EventStore,
        lifecycle: TaskLifecycle,
        dispatcher_name: str,
        resolver: SecretResolver | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.waiting = Waiting(lifecycle)
        self.secrets = AttemptSecrets(resolver, self.waiting, f"dispatcher {dispatcher_name}")
        self.close = close or (lambda: None)  # what the resolver holds (a data-key pool)

    async def prepare(self, spec: LaunchSpec, task: Task) -> LaunchSpec:
        await until_target_healthy(self.store, self.waiting, task)
        return await self.secrets.add_to(spec, task)
