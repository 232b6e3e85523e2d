"""What became of one delivery attempt, and which of those are worth trying again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"  # an earlier attempt of the same delivery already landed
    NO_SUCH_WORKFLOW = "no_such_workflow"
    WORKFLOW_CLOSED = "workflow_closed"
    PAYLOAD_ERROR = "payload_error"  # not encodable, or refused by the server (size, shape)
    REJECTED = "rejected"  # any other refusal the server will repeat
    UNAVAILABLE = "temporal_unavailable"  # transient: Temporal away, overloaded or timing out


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    detail: str = ""
    run_id: str | None = None  # the run that got the signal, when known
    started: bool = False  # signal_with_start started the run

    @property
    def transient(self) -> bool:
        return self.kind is OutcomeKind.UNAVAILABLE

    @property
    def landed(self) -> bool:
        """The workflow has the signal (now or from an earlier attempt)."""
        return self.kind in (OutcomeKind.DELIVERED, OutcomeKind.DUPLICATE)
