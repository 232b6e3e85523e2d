"""Failures of secret backends, worded without the value (it is never in scope here)."""

from __future__ import annotations

from domain.core.errors import DomainError


class SecretGone(DomainError):
    """The path, ARN or version no longer exists in its backend (or its key was shredded)."""


class BackendUnavailable(DomainError):
    """The backend does not answer now (OpenBao down...): retry later, nothing failed for good."""

    def __init__(self, message: str, *, backend: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.backend = backend
        self.retry_after = retry_after
