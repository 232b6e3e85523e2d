"""What the router does with one event: evaluate the org's routes, deliver each signal,
record each outcome, and say whether the message is done (ack) or must come back (retry).

A routed event is acted on once: the signal's request id is the delivery id (Temporal drops
a repeat), and a redelivered message skips a delivery already recorded as settled (so a
route edited in between cannot send the event to a second target)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from temporalio.client import Client

from domain.core.context import CommandContext
from domain.routing.delivery import RouteDelivery, delivery_id
from domain.routing.delivery_service import DeliveryReport
from domain.routing.ports import RouteEvaluator
from domain.routing.spec import Evaluation, RouteSpec
from workers.router import cloudevents
from workers.router.delivery import SignalTarget
from workers.router.outcome import Outcome, OutcomeKind
from workers.router.retry import Backoff, deliver_until_settled
from workers.router.route_cache import RouteCache

logger = logging.getLogger(__name__)
KeepAlive = Callable[[], Awaitable[None]]


class DeliveryLedger(Protocol):
    """The delivery use cases (`domain.routing.delivery_service.DeliveryService`)."""

    def record_delivery(self, ctx: CommandContext, report: DeliveryReport) -> Any: ...

    def dead_letter(self, ctx: CommandContext, report: DeliveryReport) -> Any: ...

    def find(self, delivery_id_: UUID) -> RouteDelivery | None: ...


@dataclass(frozen=True)
class RouterPolicy:
    max_attempts: int = 10  # deliveries of one message (the consumer's max_deliver)
    retry_window_seconds: float = 20.0  # in-process retries while Temporal is away
    backoff: Backoff = field(default_factory=Backoff)
    redelivery_pause_seconds: float = 2.0  # first pause before the message comes back

    def pause_after(self, attempt: int) -> float:
        return min(60.0, self.redelivery_pause_seconds * 2 ** (attempt - 1))


@dataclass(frozen=True)
class Verdict:
    retry_in: float | None = None  # None: done with the message (ack)


DONE = Verdict()


class Router:
    def __init__(
        self,
        client: Client,
        evaluator: RouteEvaluator,
        routes: RouteCache,
        ledger: DeliveryLedger,
        policy: RouterPolicy | None = None,
    ) -> None:
        self.client, self.evaluator, self.routes = client, evaluator, routes
        self.ledger = ledger
        self.policy = policy or RouterPolicy()

    async def handle(self, event: dict[str, Any], attempt: int, keep_alive: KeepAlive) -> Verdict:
        org = cloudevents.org_of(event)
        if org is None or cloudevents.is_own_record(event):
            return DONE
        if cloudevents.is_route_change(event):
            self.routes.changed(org, cloudevents.position_of(event))
        verdicts = [
            await self.route(spec, event, attempt, keep_alive)
            for spec in await self.routes.routes(org)
        ]
        pauses = [v.retry_in for v in verdicts if v.retry_in is not None]
        return Verdict(max(pauses)) if pauses else DONE

    async def route(
        self,
        spec: RouteSpec,
        event: dict[str, Any],
        attempt: int,
        keep_alive: KeepAlive,
        *,
        redrive_of: RouteDelivery | None = None,
    ) -> Verdict:
        assert spec.route_id is not None  # stored routes only
        evaluation = await asyncio.to_thread(self.evaluator.evaluate, spec, event)
        if redrive_of is None and (not evaluation.matched or evaluation.filter_result is False):
            return DONE
        recorded = attempt + (redrive_of.attempt if redrive_of else 0)
        report = _Report(spec, event, evaluation.target, recorded, attempt)
        if not evaluation.matched or evaluation.filter_result is False:
            await self._record(report, "dead_lettered", "the route no longer takes this event")
            return DONE
        if evaluation.error is not None:
            reason = f"{evaluation.error.field}: {evaluation.error.message}"
            # Past its deadline the program was killed: a loaded machine can cause that as
            # well as a runaway program, so it gets the attempts a missing workflow gets.
            slow = "timed out" in evaluation.error.message
            if slow and report.try_number < self.policy.max_attempts:
                await self._record(report, "failed", reason)
                return Verdict(self.policy.pause_after(report.try_number))
            await self._record(report, "dead_lettered", reason)
            return DONE
        delivery = delivery_id(spec.route_id, event["id"])
        if attempt > 1 and await self._settled(delivery):
            return DONE
        target = _target(delivery, spec, event, evaluation)
        outcome = await deliver_until_settled(
            self.client,
            target,
            backoff=self.policy.backoff,
            give_up_after=self.policy.retry_window_seconds,
            still_working=keep_alive,
        )
        return await self._settle(report, outcome)

    async def _settle(self, report: _Report, outcome: Outcome) -> Verdict:
        if outcome.landed:
            await self._record(report, outcome.kind.value, outcome.detail or None)
            return DONE
        reason = f"{outcome.kind.value}: {outcome.detail}"
        # A missing workflow may yet be started, Temporal may come back: try again later.
        again = outcome.transient or outcome.kind is OutcomeKind.NO_SUCH_WORKFLOW
        if again and report.try_number < self.policy.max_attempts:
            await self._record(report, "failed", reason)
            return Verdict(self.policy.pause_after(report.try_number))
        await self._record(report, "dead_lettered", reason)
        return DONE

    async def give_up(self, delivery: RouteDelivery, reason: str) -> None:
        """Dead-letter a re-driven delivery again, when there is nothing left to deliver."""
        report = DeliveryReport(
            organization_id=delivery.organization_id,
            route_id=delivery.route_id,
            route_version=delivery.route_version,
            event_id=delivery.event_id,
            target=delivery.target,
            outcome="dead_lettered",
            reason=reason,
            attempt=delivery.attempt + 1,
            event_type=delivery.event_type,
            event_position=delivery.event_position,
        )
        ctx = CommandContext(actor_id=None, causation_id=delivery.event_id, is_platform_admin=True)
        await asyncio.to_thread(self.ledger.record_delivery, ctx, report)

    async def find(self, delivery: UUID) -> RouteDelivery | None:
        return await asyncio.to_thread(self.ledger.find, delivery)

    async def _settled(self, delivery: UUID) -> bool:
        found = await self.find(delivery)
        return found is not None and found.settled

    async def _record(self, report: _Report, outcome: str, reason: str | None) -> None:
        await asyncio.to_thread(
            self.ledger.record_delivery, report.context(), report.as_report(outcome, reason)
        )


@dataclass(frozen=True)
class _Report:
    spec: RouteSpec
    event: dict[str, Any]
    target: str | None
    attempt: int  # as recorded: a re-drive goes on counting from the dead letter's
    try_number: int  # deliveries of this message, which the retry budget counts

    def context(self) -> CommandContext:
        """The router acts for the platform; its records are caused by the routed event."""
        return CommandContext(
            actor_id=None,
            correlation_id=str(self.event.get("correlationid") or self.event["id"]),
            causation_id=str(self.event["id"]),
            is_platform_admin=True,
        )

    def as_report(self, outcome: str, reason: str | None) -> DeliveryReport:
        assert self.spec.route_id is not None and self.spec.organization_id is not None
        return DeliveryReport(
            organization_id=self.spec.organization_id,
            route_id=self.spec.route_id,
            route_version=self.spec.version,
            event_id=self.event["id"],
            target=self.target,
            outcome=outcome,
            reason=reason,
            attempt=self.attempt,
            event_type=self.event.get("type"),
            event_position=cloudevents.position_of(self.event),
        )


def _target(
    delivery: UUID, spec: RouteSpec, event: dict[str, Any], evaluation: Evaluation
) -> SignalTarget:
    assert evaluation.target is not None
    return SignalTarget(
        delivery_id=delivery,
        workflow_id=evaluation.target,
        signal_name=spec.signal_name,
        payload=evaluation.output,
        action=spec.action,
        workflow_type=spec.workflow_type,
        task_queue=spec.task_queue,
        # So a workflow can tell routed signals apart (and dedupe across continue-as-new).
        headers={
            "signalyard-delivery-id": str(delivery),
            "signalyard-event-id": str(event["id"]),
            "signalyard-route-id": f"{spec.route_id}@{spec.version}",
        },
    )
