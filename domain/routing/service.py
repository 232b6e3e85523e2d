"""The routing context's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.plumbing.store import EventStore
from domain.routing.cloudevent import to_cloudevent as stand_in
from domain.routing.delivery_service import DeliveryService
from domain.routing.ports import RouteEvaluator
from domain.routing.route_service import RouteService
from domain.routing.trials import RouteTrials, ToCloudEvent


class RoutingService:
    def __init__(
        self,
        store: EventStore,
        evaluator: RouteEvaluator,
        to_cloudevent: ToCloudEvent | None = None,
        max_replay_events: int = 1000,
    ) -> None:
        self.evaluator = evaluator
        self.routes = RouteService(store, evaluator)
        self.deliveries = DeliveryService(store)
        self.trials = RouteTrials(
            self.routes, evaluator, to_cloudevent or stand_in, max_replay_events
        )
