"""Every context's events as the relay publishes them: CloudEvents 1.0 on the subject of
their org (or `_global`), named after their aggregate and event class, nothing secret."""

from __future__ import annotations

import asyncio
import re
import uuid

import psycopg
import pytest
from support.mixed_log import write_mixed_log
from support.relay import assert_exactly_once_in_log_order, stream_content

from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner
from schemas.cloudevents import CloudEvent
from signalyard.bootstrap import build_store
from signalyard.settings import Settings
from workers.adapters.bus import BusConfig
from workers.relay.follower import RelayFollower
from workers.relay.mapping import Outbound
from workers.relay.publisher import JetStreamPublisher, PublishFailed

TYPE = re.compile(r"^io\.signalyard\.[a-z_]+\.[a-z_]+\.v1$")


@pytest.fixture(scope="module")
def published(module_db_url, nats_server_url, tmp_path_factory):
    settings = Settings(database_url=module_db_url)
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    store = build_store(settings, module_db_url, create_tables=True)
    tag = uuid.uuid4().hex[:10]
    config = BusConfig(url=nats_server_url, stream=f"C{tag}", subject_prefix=f"c{tag}")
    try:
        write_mixed_log(store, tmp_path_factory.mktemp("blobs"))
        log = EventLog(store)
        publisher = JetStreamPublisher(config)
        with ProjectionRunner(module_db_url, RelayFollower(publisher), log) as relay:
            relay.run_until(log.head(), timeout=30)
        publisher.close()
        held = stream_content(nats_server_url, config.stream)
        assert_exactly_once_in_log_order(held, log)
        yield config, held
    finally:
        store.close()


def test_each_event_is_a_cloudevent_on_its_orgs_subject(published):
    config, held = published
    types = set()
    for message in held:
        event = CloudEvent.model_validate(message.envelope)
        types.add(event.type)
        assert TYPE.match(event.type), event.type
        _, entity, verb, _ = event.type.rsplit(".", 3)
        org = event.orgid or "_global"
        assert message.subject == f"{config.subject_prefix}.{org}.{entity}.{verb}"
        assert event.source.endswith(f"/{event.subject}")
        if event.orgid:
            assert event.source.startswith(f"/orgs/{event.orgid}")
        assert event.time and event.datacontenttype == "application/json"
        assert event.actor and event.correlationid and event.entityversion
        assert event.data is not None and "meta" not in event.data
    contexts = {
        "io.signalyard.user.registered.v1",
        "io.signalyard.api_token.issued.v1",
        "io.signalyard.api_token.revoked.v1",
        "io.signalyard.organization.created.v1",
        "io.signalyard.organization.group_member_added.v1",
        "io.signalyard.project_membership.granted.v1",
        "io.signalyard.skill.version_published.v1",
        "io.signalyard.skill.rolled_back.v1",
        "io.signalyard.config.version_published.v1",
        "io.signalyard.tool_def.created.v1",
    }
    assert contexts <= types, (contexts - types, sorted(types))
    assert not any("slug_claim" in t for t in types)
    # Named after the entity, not the base class that defines the event (CoreAggregate...).
    assert not any("aggregate" in t for t in types), sorted(types)
    assert "io.signalyard.skill.deleted.v1" in types and "io.signalyard.user.deleted.v1" in types


def test_sources_and_payloads(published):
    _, held = published
    by_type: dict[str, list[dict]] = {}
    for message in held:
        by_type.setdefault(message.envelope["type"], []).append(message.envelope)
    skill = by_type["io.signalyard.skill.version_published.v1"][0]
    assert skill["source"] == f"/orgs/{skill['orgid']}/skills/{skill['subject']}"
    assert skill["data"]["content_hash"].startswith("sha256:")  # declared public
    org = by_type["io.signalyard.organization.created.v1"][0]
    assert org["source"] == f"/orgs/{org['subject']}" and org["orgid"] == org["subject"]
    assert org["data"]["name"] == "Acme"
    token = by_type["io.signalyard.api_token.issued.v1"][0]
    assert token["source"] == f"/api_tokens/{token['subject']}" and token["orgid"] is None
    assert set(token["data"]) == {"user_id", "name", "expires_at"}


def test_a_message_out_of_turn_is_refused_and_the_publisher_resyncs(nats_server_url):
    """Nats-Expected-Last-Sequence: nothing enters the stream behind the relay's back
    without the relay's next batch failing (and the one after it resuming correctly)."""
    import nats

    tag = uuid.uuid4().hex[:10]
    config = BusConfig(url=nats_server_url, stream=f"G{tag}", subject_prefix=f"g{tag}")
    publisher = JetStreamPublisher(config, ack_timeout=5)

    def message(position: int) -> Outbound:
        body = f'{{"position": {position}}}'.encode()
        return Outbound(position, f"g{tag}.o.e.v", str(uuid.uuid4()), body)

    async def intrude() -> None:
        nc = await nats.connect(nats_server_url)
        await nc.jetstream().publish(f"g{tag}.o.e.v", b'{"position": 7}')
        await nc.close()

    try:
        publisher.publish([message(1), message(2)])
        asyncio.run(intrude())
        with pytest.raises(PublishFailed, match="wrong last sequence"):
            publisher.publish([message(3)])
        assert publisher.stream_position() == 7  # read again from the stream
        publisher.publish([message(8)])
    finally:
        publisher.close()
    positions = [h.envelope["position"] for h in stream_content(nats_server_url, config.stream)]
    assert positions == [1, 2, 7, 8]
