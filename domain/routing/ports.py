"""What the routing use cases and the API need from the place user programs run in.

The implementation (`workers/router/sandbox.py`) runs jq and CEL in killable processes
with time and memory limits; the composition root hands it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from domain.routing.spec import Evaluation, RouteSpec


class RouteEvaluator(Protocol):
    def check(self, filter: str | None, transform: str | None) -> list[tuple[str, str]]:
        """Compile both; (field, message) for each that does not compile."""
        ...

    def evaluate(self, spec: RouteSpec, event: dict[str, Any]) -> Evaluation: ...

    def evaluate_many(
        self, spec: RouteSpec, events: Sequence[dict[str, Any]]
    ) -> list[Evaluation]: ...
