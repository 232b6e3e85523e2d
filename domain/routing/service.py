"""The routing context's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.plumbing.store import EventStore
from domain.routing.delivery_service import DeliveryService
from domain.routing.ports import RouteEvaluator
from domain.routing.route_service import RouteService


class RoutingService:
    def __init__(self, store: EventStore, evaluator: RouteEvaluator) -> None:
        self.evaluator = evaluator
        self.routes = RouteService(store, evaluator)
        self.deliveries = DeliveryService(store)
