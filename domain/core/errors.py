"""Domain errors. The API maps each to a problem+json status; nothing here knows HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(
        self, message: str, *, field: str | None = None, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Several faults at once (every schema violation of a document): {field, message}.
        self.errors = errors


class InvalidInput(DomainError):
    """A value breaks a rule of the model (the field at fault is named)."""


class NotFound(DomainError):
    """Unknown, soft-deleted or invisible to the caller: all look the same from outside."""


class Conflict(DomainError):
    """Uniqueness within a scope would be broken (slug taken, already a member...)."""


class PermissionDenied(DomainError):
    """The caller can see the resource but its role does not allow the command."""


class Unauthenticated(DomainError):
    """No valid credential (missing, unknown, expired or revoked token)."""


class NotConfigured(DomainError):
    """The deployment lacks what the command needs (keys, an outside service's settings)."""


class Unavailable(DomainError):
    """An outside service the command needs (the bus) did not answer: worth a retry."""


class TooLarge(DomainError):
    """A payload is over a configured size limit (a skill bundle, say)."""


class StaleVersion(DomainError):
    """Optimistic lock: the caller's expected version is not the current one."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class VersionRequired(DomainError):
    """Changing an existing entity needs the version the caller last read."""


class Superseded(DomainError):
    """A retry with the same Idempotency-Key took this request over: it writes nothing."""


class OutcomeUnknown(Exception):
    """A write reached the database and the answer was lost: it may have committed.

    Never reported as "not done": the request's Idempotency-Key stays bound to it and a
    retry learns the outcome from the database (`keys`: the (aggregate id, version) pairs
    the write would have stored).
    """

    def __init__(self, message: str, keys: list[tuple[str, int]] | None = None) -> None:
        super().__init__(message)
        self.keys = keys or []


class TransitionRefused(Conflict):
    """A state machine refuses a command in its current status (the status is named)."""

    def __init__(self, message: str, *, current_status: str) -> None:
        super().__init__(message, field="status")
        self.current_status = current_status


class StaleAttempt(Conflict):
    """A report carries an attempt that is no longer the live one (a fencing token)."""

    def __init__(self, message: str, *, current_attempt: int) -> None:
        super().__init__(message, field="attempt")
        self.current_attempt = current_attempt
