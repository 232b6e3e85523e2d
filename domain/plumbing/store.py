"""The event store application, the write side's repository: one notification log for the
whole deployment.

Use cases load aggregates from here, call them, and `record` them; all aggregates given
to one `record` call are committed in one transaction (an entity and its slug claim, say).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from domain.core.aggregate import SNAPSHOT_INTERVALS
from domain.core.context import CommandContext, Credential
from domain.core.errors import NotFound, Unauthenticated
from domain.identity.credentials import still_holds
from domain.plumbing.aggregate_cache import AggregateCache, BatchReader, clone, fast_forward
from domain.plumbing.conflicts import explain_conflict
from domain.plumbing.read_session import ReadSession, SessionScope
from domain.plumbing.slug_claims import SlugClaims
from domain.plumbing.unit_of_work import ReadSetChanged

logger = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)


class EventStore(Application[UUID]):
    name = "signalyard"
    # Each aggregate class declares its own `snapshot_interval`; the registry is live, so
    # classes defined after the store is built are snapshotted too.
    is_snapshotting_enabled = True
    snapshotting_intervals = SNAPSHOT_INTERVALS

    def __init__(self, env: dict[str, str] | None = None, *, cache_size: int = 5000) -> None:
        super().__init__(env)
        self.cache = AggregateCache(cache_size)
        self.sessions = SessionScope()
        # Set by the composition root where the recorder can answer many ids in one query.
        self.batch_reader: BatchReader | None = None
        # Set by the composition root where the recorder refuses a write whose read set
        # has changed, in the write's own transaction (signalyard.eventstore): commands
        # then run first on the cache alone, with no read (see `unit_of_work`).
        self.validated_reads = False
        self.slugs = SlugClaims(self.find)

    # -- reading ----------------------------------------------------------------------
    @contextmanager
    def reading(
        self,
        credential: Credential | CommandContext | None = None,
        *,
        optimistic: bool = False,
    ) -> Iterator[ReadSession]:
        """One command's reads: each aggregate is read once, `prefetch` batches them.

        A `credential` (or a command context's) is checked by the session's first read
        (its token and user join that query), or at the latest before a write or before the
        session ends, whatever the command's outcome: a revoked token or a disabled user
        gets Unauthenticated, never the command's result or its other errors. Both then
        belong to what the command read, so its write is refused if either changes before
        the commit.
        """
        ctx = credential if isinstance(credential, CommandContext) else None
        if ctx is not None:
            credential = ctx.credential
        with self.sessions.open(optimistic) as session:
            if ctx is not None and session.ctx is None:
                session.ctx = ctx
            owns_check = (
                credential is not None
                and session.unchecked_credential is None
                and session.checked_credential != credential
            )
            if owns_check:
                session.unchecked_credential = credential
            try:
                yield session
            except Unauthenticated:
                raise
            except BaseException:
                if owns_check:
                    self._check_credential(session)
                raise
            if owns_check:
                self._check_credential(session)

    def _check_credential(self, session: ReadSession) -> None:
        if session.unchecked_credential is not None:
            self.prefetch(())  # the credential's ids join (here: are) the read

    def prefetch(self, aggregate_ids: Iterable[UUID | None]) -> None:
        """Bring these aggregates up to date in one query (inside `reading()` only)."""
        session = self.sessions.current
        if session is None:
            return
        credential: Credential | None = session.unchecked_credential
        if credential is not None:
            aggregate_ids = [*aggregate_ids, credential.token_id, credential.user_id]
            # Read again even if this session already holds them: only a read now counts.
            for stale in (credential.token_id, credential.user_id):
                session.loaded.pop(stale, None)
                session.missing.discard(stale)
        wanted = [
            i
            for i in dict.fromkeys(aggregate_ids)
            if i is not None and i not in session.loaded and i not in session.missing
        ]
        if wanted and session.optimistic:
            self._take_cached(session, wanted)
        elif wanted:
            found = self._read_fresh(wanted)
            session.loaded.update(found)
            session.missing.update(i for i in wanted if i not in found)
            for i in wanted:
                session.read_set.setdefault(i, found[i].version if i in found else 0)
        if credential is not None:
            session.unchecked_credential = None
            token = session.loaded.get(credential.token_id)
            user = session.loaded.get(credential.user_id)
            if not still_holds(credential, token, user):
                raise Unauthenticated("invalid, expired or revoked token")
            session.checked_credential = credential

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        session = self.sessions.current
        if session is not None and session.unchecked_credential is not None:
            self.prefetch([aggregate_id])  # the first read also checks the credential
        if session is not None and aggregate_id in session.missing:
            return None
        if session is not None and aggregate_id in session.loaded:
            aggregate = session.loaded[aggregate_id]
        elif session is not None and session.optimistic:
            self._take_cached(session, [aggregate_id])
            aggregate = session.loaded.get(aggregate_id)
        else:
            aggregate = self._read_fresh([aggregate_id]).get(aggregate_id)
            if session is not None:
                version = aggregate.version if aggregate is not None else 0
                session.read_set.setdefault(aggregate_id, version)
                if aggregate is None:
                    session.missing.add(aggregate_id)
                else:
                    session.loaded[aggregate_id] = aggregate
        return aggregate if isinstance(aggregate, kind) else None

    def _take_cached(self, session: ReadSession, aggregate_ids: list[UUID]) -> None:
        """An optimistic session's read: the cache's copies as they are, versions noted."""
        for aggregate_id in aggregate_ids:
            master = self.cache.peek(aggregate_id)
            if master is None:  # unknown here: taken as absent, and checked as such
                session.read_set[aggregate_id] = 0
                session.missing.add(aggregate_id)
            else:
                session.read_set[aggregate_id] = master.version
                session.loaded[aggregate_id] = clone(master)

    def _read_fresh(self, aggregate_ids: list[UUID]) -> dict[UUID, Any]:
        masters = {i: self.cache.peek(i) for i in aggregate_ids}
        if len(aggregate_ids) == 1 and masters[aggregate_ids[0]] is None:
            return self._load_one(aggregate_ids[0])  # cold: use snapshots
        known = [(i, m.version if m is not None else 0) for i, m in masters.items()]
        if self.batch_reader is not None:
            stored = self.batch_reader(known)
        else:
            stored = [e for i, v in known for e in self.recorder.select_events(i, gt=v)]
        found = fast_forward(masters, stored, self.mapper.to_domain_event)
        for aggregate_id, aggregate in found.items():
            master = masters[aggregate_id]
            if master is None or master.version < aggregate.version:
                self.cache.put(aggregate)
        return found

    def _load_one(self, aggregate_id: UUID) -> dict[UUID, Any]:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return {}
        self.cache.put(aggregate)
        return {aggregate_id: aggregate}

    def load(self, aggregate_id: UUID, kind: type[A], what: str | None = None) -> A:
        aggregate = self.find(aggregate_id, kind)
        if aggregate is None:
            raise NotFound(f"{what or kind.__name__.lower()} not found")
        return aggregate

    def record(self, *aggregates: Aggregate) -> int:
        """Commit the aggregates' pending events atomically; return the last position.

        The write carries everything the command read (with validated reads), so it
        commits only if all of that is still current; and the command's session and
        idempotent request, so the outcome is recorded with it.
        """
        session = self.sessions.current
        if session is not None and session.unchecked_credential is not None:
            self._check_credential(session)  # never write for a credential not checked
        ctx = session.ctx if session is not None else None
        kwargs: dict[str, Any] = {}
        if session is not None and self.validated_reads:
            kwargs["read_set"] = list(session.read_set.items())
        if ctx is not None and self.validated_reads:
            if ctx.credential is not None:
                kwargs["session"] = str(ctx.credential.token_id)
            if ctx.fence is not None:
                kwargs["fence"] = ctx.fence
        try:
            recordings = self.save(*aggregates, **kwargs)
        except IntegrityError:
            for aggregate in aggregates:
                self.cache.discard(aggregate.id)
            if session is not None and not session.wrote and "read_set" in kwargs:
                raise ReadSetChanged() from None  # the command runs again, reading
            explain_conflict(aggregates, lambda a: self._read_fresh([a.id]).get(a.id))
            raise
        if session is not None:
            session.wrote, session.optimistic = True, False
        for aggregate in aggregates:
            self.cache.put(aggregate)
            if session is not None:
                session.missing.discard(aggregate.id)
                session.loaded[aggregate.id] = aggregate
                session.read_set[aggregate.id] = aggregate.version
        positions = [r.notification.id for r in recordings if r.notification.id is not None]
        position = max(positions) if positions else self.recorder.max_notification_id() or 0
        if ctx is not None:
            ctx.committed.append(position)
        return position

    def _take_snapshots(self, processing_event: Any) -> None:
        # After the commit: a failure here must not turn a committed write into an error
        # (whose retry would write again). A missing snapshot only costs a longer replay.
        try:
            super()._take_snapshots(processing_event)
        except Exception:  # noqa: BLE001
            logger.exception("snapshot not taken after a committed write")

    # -- audit --------------------------------------------------------------------------
    def history(self, aggregate_id: UUID) -> list[DomainEventProtocol[UUID]]:
        return list(self.events.get(aggregate_id))
