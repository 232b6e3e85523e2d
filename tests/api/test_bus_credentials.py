"""Bus credentials over HTTP and on the real NATS (operator mode): an org admin's creds pull
only that org's events from its own consumer, cannot reach another org, write the stream or
make consumers, and stop working the moment they are revoked."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import nats
import psycopg
import pytest
from nats.errors import TimeoutError as NatsTimeout
from psycopg import sql
from support.api import add_member, assert_problem, created, read_after, unique, writes_nothing
from support.bus_tenant import close, connect_tenant, creds_path
from support.stack import running_stack

from workers.adapters.bus import BusConfig, connect, ensure_stream


def _org(admin) -> dict:
    return created(admin.post("/v1/orgs", json={"name": unique("bus")}))


def _issue(client, org: dict, **body) -> dict:
    response = client.post(f"/v1/orgs/{org['slug']}/bus-credentials", json={"name": "feed", **body})
    return created(response)


async def _publish(config: BusConfig, subject: str, data: bytes) -> None:
    nc = await connect(config, name="test-publisher")
    try:
        js = nc.jetstream()
        await ensure_stream(js, config)
        await js.publish(subject, data)
    finally:
        await nc.close()


async def _messages(config: BusConfig) -> int:
    nc = await connect(config, name="test-counter")
    try:
        return (await nc.jetstream().stream_info(config.stream)).state.messages
    finally:
        await nc.close()


@pytest.fixture(scope="module")
def two_orgs(stack, bus_config):
    """Orgs A and B, each with creds and one event on the bus."""
    with stack.admin() as admin:
        orgs = {name: _org(admin) for name in ("a", "b")}
        creds = {name: _issue(admin, org) for name, org in orgs.items()}
    for name, org in orgs.items():
        subject = f"signalyard.{org['guid']}.task.created"
        asyncio.run(_publish(bus_config, subject, f"event of {name}".encode()))
    return orgs, creds


def test_issuing_answers_creds_once_scoped_to_the_org(admin, two_orgs):
    orgs, creds = two_orgs
    issued, org = creds["a"], orgs["a"]
    assert issued["subject_scope"] == f"signalyard.{org['guid']}.>"
    assert issued["consumer"] == f"org_{uuid.UUID(org['guid']).hex}_{uuid.UUID(issued['guid']).hex}"
    assert issued["stream"] == "SIGNALYARD" and issued["organization_id"] == org["guid"]
    assert "-----BEGIN USER NKEY SEED-----" in issued["creds"]
    assert issued["public_key"].startswith("U") and issued["revoked_at"] is None
    expires = datetime.fromisoformat(issued["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(tz=UTC) <= timedelta(days=90)
    path = f"/v1/orgs/{org['slug']}/bus-credentials"
    listed = admin.get(path, params={"min_position": "0"}).json()["items"]
    mine = [c for c in listed if c["guid"] == issued["guid"]]
    assert len(mine) == 1 and "creds" not in mine[0]
    one = admin.get(f"{path}/{issued['guid']}")
    assert one.status_code == 200 and "creds" not in one.json()
    assert one.json()["public_key"] == issued["public_key"]


def test_a_tenant_pulls_and_acks_only_its_own_orgs_events(nats_server_url, two_orgs):
    orgs, creds = two_orgs
    org, issued = orgs["a"], creds["a"]

    async def pull() -> list[bytes]:
        tenant = await connect_tenant(nats_server_url, creds_path(issued["creds"]), org["guid"])
        try:
            sub = await tenant.nc.jetstream().pull_subscribe_bind(
                issued["consumer"], "SIGNALYARD", inbox_prefix=f"_INBOX.{org['guid']}.".encode()
            )
            got = await sub.fetch(10, timeout=2)
            for msg in got:
                assert msg.subject.startswith(f"signalyard.{org['guid']}.")
                await msg.ack_sync(timeout=2)  # the ack reached the server
            with pytest.raises(NatsTimeout):
                await sub.fetch(1, timeout=0.5)  # acked: nothing is delivered again
            assert tenant.denied() == []
            return [m.data for m in got]
        finally:
            await close(tenant)

    assert asyncio.run(pull()) == [b"event of a"]


def test_a_tenant_cannot_reach_another_org_nor_write_the_stream(
    nats_server_url, bus_config, two_orgs
):
    orgs, creds = two_orgs
    org, other = orgs["a"], orgs["b"]

    async def attempts() -> list[str]:
        before = await _messages(bus_config)
        tenant = await connect_tenant(nats_server_url, creds_path(creds["a"]["creds"]), org["guid"])
        nc = tenant.nc
        try:
            await nc.subscribe(f"signalyard.{other['guid']}.>")
            await nc.subscribe("signalyard.>")
            await nc.subscribe(f"_INBOX.{other['guid']}.>")
            await nc.publish(f"signalyard.{org['guid']}.task.created", b"forged")
            await nc.publish("signalyard.x.y.z", b"forged")
            for subject in (
                "$JS.API.STREAM.INFO.SIGNALYARD",
                "$JS.API.STREAM.PURGE.SIGNALYARD",
                "$JS.API.STREAM.CREATE.MINE",
                f"$JS.API.CONSUMER.CREATE.SIGNALYARD.mine.signalyard.{org['guid']}.>",
                "$JS.API.CONSUMER.DURABLE.CREATE.SIGNALYARD.mine",
                f"$JS.API.CONSUMER.MSG.NEXT.SIGNALYARD.{creds['b']['consumer']}",
            ):
                with pytest.raises(Exception):  # noqa: B017 - denied: no answer comes
                    await nc.request(subject, b'{"batch":1}', timeout=0.5)
            await nc.flush(timeout=2)
            await asyncio.sleep(0.2)
            assert await _messages(bus_config) == before  # nothing entered the stream
            return tenant.denied()
        finally:
            await close(tenant)

    denied = asyncio.run(attempts())
    for subject in (
        f'subscription to "signalyard.{other["guid"]}.>"',
        'subscription to "signalyard.>"',
        f'publish to "signalyard.{org["guid"]}.task.created"',
        '"$JS.API.STREAM.INFO.SIGNALYARD"',
        '"$JS.API.STREAM.PURGE.SIGNALYARD"',
        '"$JS.API.CONSUMER.DURABLE.CREATE.SIGNALYARD.mine"',
        f'"$JS.API.CONSUMER.MSG.NEXT.SIGNALYARD.{creds["b"]["consumer"]}"',
    ):
        assert any(subject.lower() in d.lower() for d in denied), (subject, denied)


def test_revoking_drops_the_live_connection_and_refuses_new_ones(
    admin, nats_server_url, bus_config
):
    org = _org(admin)
    issued = _issue(admin, org)
    path = f"/v1/orgs/{org['slug']}/bus-credentials/{issued['guid']}"
    creds = creds_path(issued["creds"])

    async def scenario() -> None:
        tenant = await connect_tenant(nats_server_url, creds, org["guid"])
        revoked = await asyncio.to_thread(admin.delete, path)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None and revoked.json()["version"] == 2
        await asyncio.wait_for(tenant.disconnected.wait(), timeout=5)
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(
                nats_server_url, user_credentials=creds, allow_reconnect=False, connect_timeout=2
            )

    asyncio.run(scenario())
    read = admin.get(path, params={"min_position": "0"})
    assert read.json()["revoked_at"] is not None
    history = admin.get(f"{path}/history").json()["items"]
    assert [h["type"] for h in history] == ["BusCredential.Issued", "BusCredential.Revoked"]
    assert issued["public_key"] in str(history) and issued["creds"] not in str(history)
    assert_problem(admin.delete(path), 409)

    async def consumer_gone() -> bool:
        nc = await connect(bus_config, name="test-check")
        try:
            await nc.jetstream().consumer_info("SIGNALYARD", issued["consumer"])
        except nats.js.errors.NotFoundError:
            return True
        finally:
            await nc.close()
        return False

    assert asyncio.run(consumer_gone())


def test_only_admins_of_the_org_issue_and_revoke(admin, stack):
    org, other = _org(admin), _org(admin)
    _, org_admin, _ = add_member(admin, org["slug"], "admin")
    _, maintainer, _ = add_member(admin, org["slug"], "maintainer")
    issued = _issue(admin, other)
    with stack.client(org_admin) as client, writes_nothing(stack):
        assert_problem(
            client.post(f"/v1/orgs/{other['slug']}/bus-credentials", json={"name": "x"}), 404
        )
        assert_problem(
            client.delete(f"/v1/orgs/{other['slug']}/bus-credentials/{issued['guid']}"), 404
        )
        assert_problem(client.get(f"/v1/orgs/{other['slug']}/bus-credentials"), 404)
        # A credential of another org named under one's own org is not found either.
        assert_problem(
            client.delete(f"/v1/orgs/{org['slug']}/bus-credentials/{issued['guid']}"), 404
        )
    with stack.client(maintainer) as client, writes_nothing(stack):
        assert_problem(
            client.post(f"/v1/orgs/{org['slug']}/bus-credentials", json={"name": "x"}), 403
        )
    with stack.client(org_admin) as client:
        mine = client.post(f"/v1/orgs/{org['slug']}/bus-credentials", json={"name": "feed"})
        assert mine.status_code == 201, mine.text
        listed = client.get(f"/v1/orgs/{org['slug']}/bus-credentials", params=read_after(mine))
        assert [c["guid"] for c in listed.json()["items"]] == [mine.json()["guid"]]


def test_expiry_is_checked_against_the_maximum(admin, stack):
    org = _org(admin)
    path = f"/v1/orgs/{org['slug']}/bus-credentials"
    now = datetime.now(tz=UTC)
    with writes_nothing(stack):
        too_late = (now + timedelta(days=91)).isoformat()
        assert_problem(
            admin.post(path, json={"name": "x", "expires_at": too_late}), 422, "expires_at"
        )
        past = (now - timedelta(minutes=1)).isoformat()
        assert_problem(admin.post(path, json={"name": "x", "expires_at": past}), 422, "expires_at")
        assert_problem(admin.post(path, json={"name": ""}), 422, "name")
    soon = now + timedelta(days=1)
    issued = _issue(admin, org, expires_at=soon.isoformat())
    assert datetime.fromisoformat(issued["expires_at"]) == soon


def test_creds_are_kept_nowhere_but_in_the_answer(admin, stack, caplog):
    caplog.set_level(logging.DEBUG)
    org = _org(admin)
    key = {"Idempotency-Key": unique("bus")}
    path = f"/v1/orgs/{org['slug']}/bus-credentials"
    first = admin.post(path, json={"name": "feed"}, headers=key)
    assert first.status_code == 201, first.text
    creds = first.json()["creds"]
    seed = creds.split("-----BEGIN USER NKEY SEED-----")[1].split()[0]
    token = creds.split("-----BEGIN NATS USER JWT-----")[1].split()[0]
    assert seed.startswith("SU") and token.count(".") == 2
    again = admin.post(path, json={"name": "feed"}, headers=key)
    assert assert_problem(again, 409)["title"] == "Secret shown once"
    assert seed not in again.text and token not in again.text
    revoked = admin.delete(f"{path}/{first.json()['guid']}")
    assert revoked.status_code == 200
    admin.get(path, params=read_after(revoked))  # the read model has caught up
    with psycopg.connect(stack.settings.database_url) as conn:
        texts = _stored_text(conn, stack.settings.event_schema, "rm_bus")
    assert first.json()["public_key"] in texts  # the events hold the public key...
    everything = texts + caplog.text
    assert seed not in everything and token not in everything  # ...and no secret anywhere


def _stored_text(conn: psycopg.Connection, *schemas: str) -> str:
    """Every row of every table of these schemas as text (bytea decoded, as events are)."""
    columns = conn.execute(
        "SELECT table_schema, table_name, column_name, data_type "
        "FROM information_schema.columns WHERE table_schema = ANY(%s)",
        [list(schemas)],
    ).fetchall()
    parts = []
    for schema, table, column, kind in columns:
        value = sql.Identifier(column)
        if kind == "bytea":
            value = sql.SQL("encode({}, 'escape')").format(value)
        query = sql.SQL("SELECT string_agg({}::text, '') FROM {}").format(
            value, sql.Identifier(schema, table)
        )
        parts.append(str(conn.execute(query).fetchone()[0] or ""))
    return "\n".join(parts)


def test_without_bus_keys_issuing_is_refused_plainly(api_db_url, tmp_path):
    with running_stack(api_db_url, data_dir=tmp_path) as bare, bare.admin() as admin:
        org = _org(admin)
        with writes_nothing(bare):
            refused = admin.post(f"/v1/orgs/{org['slug']}/bus-credentials", json={"name": "x"})
        problem = assert_problem(refused, 409)
        assert problem["detail"] == "bus credentials are not configured on this deployment"
