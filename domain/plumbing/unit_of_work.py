"""A command is one unit of work: every read and its write in one session, run first on
the cache alone (optimistic) where the recorder validates read sets, then fresh."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.core.context import CommandContext, Credential
from domain.core.errors import OutcomeUnknown, Superseded
from domain.plumbing.read_session import ReadSession

if TYPE_CHECKING:
    from domain.plumbing.store import EventStore

R = TypeVar("R")
# Fresh runs of a command whose write keeps meeting changes to what it read.
FRESH_RUNS = 5


class ReadSetChanged(IntegrityError):
    """A fresh run's write was refused: something it decided on changed before its commit."""


def run_in_session(
    store: EventStore,
    ctx: CommandContext | Credential | None,
    call: Callable[[], R],
    *,
    may_write: bool = True,
) -> R:
    """Run a use case in one read session (nested use cases join the caller's).

    With validated reads the command runs first on the cached aggregates as they are,
    reading nothing; that run counts only if it ended in a write that was accepted,
    i.e. nothing it read (its token and user included) had changed by then. Otherwise
    (an error, a refused write, or no write at all) it is run again in an ordinary
    session that reads everything fresh, and that run's outcome is the answer: errors,
    401s and no-op results are always those of fresh reads. A fresh run's write is
    checked the same way (what it read, against the commit), so a revocation that
    commits between its reads and its write refuses it; it then runs again, and decides
    on what is current. Nothing is written twice: a run either wrote (and is final) or
    wrote nothing.
    """
    if store.sessions.current is not None:
        with store.reading(ctx):
            return call()
    if may_write and store.validated_reads:
        attempt: ReadSession | None = None
        try:
            with store.reading(ctx, optimistic=True) as attempt:
                result = call()
        except (OperationalError, InterfaceError, OutcomeUnknown, Superseded):
            raise  # the database failed, or the outcome is not ours to retry
        except Exception:
            if attempt is not None and attempt.wrote:
                raise
        else:
            if attempt.wrote:
                return result
    for remaining in range(FRESH_RUNS - 1, -1, -1):
        session: ReadSession | None = None
        try:
            with store.reading(ctx) as session:
                return call()
        except ReadSetChanged:
            if session is None or session.wrote or remaining == 0:
                raise
    raise AssertionError("unreachable")


def with_read_sessions(cls: type) -> type:
    """Every public method of a use-case class runs in one read session of `self.store`."""
    for name in dir(cls):
        method = getattr(cls, name)
        if name.startswith("_") or not callable(method) or isinstance(method, type):
            continue
        setattr(cls, name, _in_session(method))
    return cls


def reads_only(method: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a use-case method that never writes: it runs in an ordinary session straight
    away (an optimistic run, counted only when it writes, would be wasted on it)."""
    method._reads_only = True  # type: ignore[attr-defined]
    return method


def _in_session(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_in_read_session", False):
        return method
    may_write = not getattr(method, "_reads_only", False)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Use cases take the CommandContext first; its credential, if any, is checked
        # by the session's first read.
        ctx = args[0] if args else kwargs.get("ctx")
        return run_in_session(
            self.store,
            ctx if hasattr(ctx, "credential") else None,
            functools.partial(method, self, *args, **kwargs),
            may_write=may_write,
        )

    wrapper._in_read_session = True  # type: ignore[attr-defined]
    return wrapper
