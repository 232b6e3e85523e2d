"""Bus credentials on NATS in operator mode: a durable pull consumer per credential, a user
JWT allowed only to pull from it and ack, and revocation by pushing the account JWT again
(with its revoked users) through the system account."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from domain.bus.authority import IssuedBusUser
from domain.core.errors import Unavailable
from workers.adapters import nats_jwt as jwt
from workers.adapters.bus import BusConfig, connect, ensure_stream

_TIMEOUT = 5.0


@dataclass(frozen=True)
class BusKeys:
    """What issuing and revoking needs besides the control plane's own creds."""

    account_public_key: str
    account_signing_seed: str  # signs tenants' user JWTs
    operator_seed: str  # signs the account JWT again, with revocations
    system_creds_file: str  # a system-account user: pushes the account JWT


def consumer_name(org_id: UUID, credential_id: UUID) -> str:
    return f"org_{org_id.hex}_{credential_id.hex}"


def tenant_permissions(config: BusConfig, org_id: UUID, consumer: str) -> dict[str, list[str]]:
    """The least a tenant needs to pull its consumer (FACTS.md): never a wildcard where a
    consumer's name goes, or one tenant reads another's messages."""
    return {
        "publish": [
            f"$JS.API.CONSUMER.MSG.NEXT.{config.stream}.{consumer}",
            f"$JS.ACK.{config.stream}.{consumer}.>",
        ],
        "subscribe": [f"{config.subject_prefix}.{org_id}.>", f"_INBOX.{org_id}.>"],
    }


class NatsBusAuthority:
    def __init__(self, config: BusConfig, keys: BusKeys) -> None:
        self.config = config
        self.keys = keys

    def issue(
        self, org_id: UUID, credential_id: UUID, name: str, expires_at: datetime
    ) -> IssuedBusUser:
        consumer = consumer_name(org_id, credential_id)
        scope = f"{self.config.subject_prefix}.{org_id}.>"
        _run(self._create_consumer(consumer, scope))
        user = jwt.new_key("user")
        token = jwt.user_jwt(
            jwt.key_from_seed(self.keys.account_signing_seed),
            self.keys.account_public_key,
            user.public_key,
            name,
            **tenant_permissions(self.config, org_id, consumer),
            expires_at=int(expires_at.timestamp()),
        )
        return IssuedBusUser(user.public_key, scope, consumer, jwt.creds_file(token, user.seed))

    def revoke(self, revoked: Iterable[str], consumer: str) -> None:
        _run(self._push_revocations(list(revoked)))
        _run(self._delete_consumer(consumer))

    async def _create_consumer(self, consumer: str, scope: str) -> None:
        nc = await connect(self.config, name="signalyard-bus-credentials", **_ONCE)
        try:
            js = nc.jetstream(timeout=_TIMEOUT)
            await ensure_stream(js, self.config)
            await js.add_consumer(
                self.config.stream,
                ConsumerConfig(
                    durable_name=consumer,
                    filter_subject=scope,
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                ),
            )
        finally:
            await nc.close()

    async def _delete_consumer(self, consumer: str) -> None:
        nc = await connect(self.config, name="signalyard-bus-credentials", **_ONCE)
        try:
            await nc.jetstream(timeout=_TIMEOUT).delete_consumer(self.config.stream, consumer)
        except NotFoundError:
            pass  # deleted by an earlier attempt
        finally:
            await nc.close()

    async def _push_revocations(self, revoked: list[str]) -> None:
        system = BusConfig(url=self.config.url, creds_file=self.keys.system_creds_file)
        nc = await connect(system, name="signalyard-bus-revocations", **_ONCE)
        account = self.keys.account_public_key
        try:
            reply = await nc.request(
                f"$SYS.REQ.ACCOUNT.{account}.CLAIMS.LOOKUP", b"", timeout=_TIMEOUT
            )
            # Added to what the bus holds: a key revoked by a push that raced this one (and
            # whose commit may have been refused) stays revoked.
            updated = jwt.revoked(
                reply.data.decode(), jwt.key_from_seed(self.keys.operator_seed), *revoked
            )
            answer = await nc.request("$SYS.REQ.CLAIMS.UPDATE", updated.encode(), timeout=_TIMEOUT)
            error = json.loads(answer.data).get("error")
            if error:
                raise Unavailable(f"the bus refused the revocation: {error}")
        finally:
            await nc.close()


_ONCE = {"connect_timeout": 2, "max_reconnect_attempts": 0, "allow_reconnect": False}


def _run(work) -> None:  # type: ignore[no-untyped-def]
    """Run on a loop of its own: the use cases are synchronous (a worker thread)."""
    try:
        asyncio.run(asyncio.wait_for(work, timeout=3 * _TIMEOUT))
    except (NatsError, OSError, TimeoutError) as exc:
        raise Unavailable(f"the bus did not answer: {exc}") from exc
