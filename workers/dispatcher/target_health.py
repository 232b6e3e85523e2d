"""A runtime target may name the infra service it depends on (a Kubernetes API, a node
pool's endpoint): while the health checker holds that service unhealthy, the target's
claimed attempts do not start; they wait, the task saying which service and why, and
start once a probe finds it healthy again. Unknown health (never probed) does not hold."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from domain.infra.infra_service import InfraService
from domain.infra.runtime_target import RuntimeTarget
from domain.plumbing.store import EventStore
from domain.tasks.task import Task
from workers.dispatcher.waiting import Waiting


def why_not_healthy(store: EventStore, task: Task) -> str | None:
    """Why the task's runtime target cannot take it now; None when it can."""
    guid = (task.runtime_target or {}).get("guid")
    target: Any = store.find(UUID(str(guid)), RuntimeTarget) if guid else None
    if target is None or not target.infra_service:
        return None
    service: Any = store.find(UUID(target.infra_service), InfraService)
    if service is None or service.is_deleted or service.is_healthy is not False:
        return None
    said = f": {service.health_reason}" if getattr(service, "health_reason", "") else ""
    return (
        f"runtime target {target.slug} is unavailable: infra service {service.slug} is"
        f" unhealthy ({service.consecutive_fails} failed probes){said}"
    )


async def until_target_healthy(store: EventStore, waiting: Waiting, task: Task) -> None:
    tries = 0
    while (reason := await asyncio.to_thread(why_not_healthy, store, task)) is not None:
        await waiting.pause(task, reason, tries)
        tries += 1
