"""The canary: distinctive values go through create, rotate, resolution and every kind of
refused request; then every place they could leak is searched for them, plain, base64 and
hex. Zero hits. A new place to search is one more entry in SOURCES."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
from psycopg import sql
from support.api import created, make_tree
from support.dispatch import (
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import PYTHON, wait_until
from support.relay import stream_content
from support.secrets import secrets_of
from support.stack import bus_settings, running_stack
from support.stores import event_store

from domain.core.context import system_context
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest
from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner
from workers.adapters.bus import BusConfig
from workers.relay.follower import RelayFollower
from workers.relay.publisher import JetStreamPublisher


def encodings(value: bytes) -> list[bytes]:
    """The value plain, in hex, and in base64 at each of the three alignments it can take
    inside a longer encoded text (the middle of each, which only the value decides)."""
    found = [value, value.hex().encode(), value.hex().upper().encode()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + value)
            found.append(text[4:-4])
    return found


@dataclass
class Sighting:
    responses: list[httpx.Response] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    database_url: str = ""
    bus: BusConfig | None = None
    directories: list[Path] = field(default_factory=list)  # attempt logs, blobs, workdirs


def _event_store(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    with psycopg.connect(seen.database_url) as conn:
        for topic, state in conn.execute(
            "SELECT topic, state FROM eventstore.signalyard_events"
        ).fetchall():
            yield f"event {topic}", bytes(state)


def _every_table(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    """Every row of every table of the database: read models, the write side's own tables
    (idempotency outcomes, sessions), the data-key table. Bytea shows as hex here."""
    with psycopg.connect(seen.database_url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert any(schema == "rm_secrets" for schema, _ in tables)
        for schema, table in tables:
            query = sql.SQL("SELECT t::text FROM {} t").format(sql.Identifier(schema, table))
            for (row,) in conn.execute(query).fetchall():
                yield f"{schema}.{table}", row.encode()


def _responses(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    for response in seen.responses:
        where = f"{response.request.method} {response.request.url.path}"
        yield where, response.content + str(response.headers).encode()


def _jetstream(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    """Every event of the database as the relay publishes it, on a stream of the test's own
    (a relay under a name of its own, so its tracking is apart from any other)."""
    assert seen.bus is not None
    tag = uuid.uuid4().hex[:10]
    bus = dataclasses.replace(seen.bus, stream=f"CANARY{tag}", subject_prefix=f"canary{tag}")
    store = event_store(seen.database_url)
    publisher = JetStreamPublisher(bus)
    try:
        log = EventLog(store)
        follower = RelayFollower(publisher, name=f"relay_canary_{tag}")
        with ProjectionRunner(seen.database_url, follower, log) as relay:
            relay.run_until(log.head(), timeout=120)
        held = stream_content(bus)
    finally:
        publisher.close()
        store.close()
    assert held, "the relay published nothing: the stream source is not wired"
    for message in held:
        yield f"stream {message.subject}", orjson.dumps(message.envelope)


def _logs(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    for line in seen.logs:
        yield "log", line.encode()


def _files(seen: Sighting) -> Iterator[tuple[str, bytes]]:
    for directory in seen.directories:
        for path in directory.rglob("*"):
            if path.is_file():
                yield f"file {path}", path.read_bytes()


SOURCES: dict[str, Callable[[Sighting], Iterable[tuple[str, bytes]]]] = {
    "event store": _event_store,
    "database tables": _every_table,
    "API responses": _responses,
    "API logs": _logs,
    "JetStream stream": _jetstream,
    "files (attempt logs, blobs, working directories)": _files,
}


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + (record.exc_text or ""))


@pytest.fixture
def seen(stack, bus_config) -> Iterator[Sighting]:
    yield from _watching(Sighting(database_url=str(stack.settings.database_url), bus=bus_config))


def _watching(sighting: Sighting) -> Iterator[Sighting]:
    """Every log record of the process (API, projections, relay, dispatcher) collected."""
    handler, root = _Collect(sighting.logs), logging.getLogger()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield sighting
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_value_is_found_anywhere_after_create_rotate_resolve_and_errors(stack, seen, capfd):
    canaries = [f"CANARY-{uuid.uuid4().hex}-{n}-zQ7!".encode() for n in range(3)]
    local, rotated, vaulted = (c.decode() for c in canaries)

    with stack.admin() as admin:

        def call(method: str, path: str, **kw) -> httpx.Response:
            response = admin.request(method, path, **kw)
            seen.responses.append(response)
            return response

        tree = make_tree(admin, "canary")
        org = tree.org_path
        made = call(
            "POST",
            f"{org}/secrets",
            json={"name": "C1", "backend": "local", "value": local},
            headers={"Idempotency-Key": "canary-1"},
        )
        assert made.status_code == 201
        assert (
            call(
                "POST",
                f"{org}/secrets",
                json={"name": "C1", "backend": "local", "value": local},
                headers={"Idempotency-Key": "canary-1"},
            ).status_code
            == 201
        )  # replayed
        assert call("POST", f"{org}/secrets/C1:rotate", json={"value": rotated}).status_code == 200
        path = f"signalyard/{uuid.uuid4().hex}"
        body = {"name": "C2", "backend": "vault", "value": vaulted, "path_or_arn": path}
        assert call("POST", f"{tree.ws_path}/secrets", json=body).status_code == 201
        refused = [
            call("POST", f"{org}/secrets", json={"name": "C1", "backend": "local", "value": local}),
            call("POST", f"{org}/secrets", json={"name": "C3", "backend": "gcp", "value": local}),
            call(
                "POST",
                f"{org}/secrets",
                json={"name": "C3", "backend": "local", "value": local * 2000},
            ),
            call(
                "POST",
                f"{org}/secrets",
                json={"name": "C3", "backend": "vault", "value": vaulted, "path_or_arn": "other/x"},
            ),
            call(
                "POST",
                f"{org}/secrets",
                json={"name": "C3", "backend": "aws", "value": local, "path_or_arn": "arn:x"},
            ),
            call("POST", f"{org}/secrets/NOPE:rotate", json={"value": rotated}),
            call(
                "POST",
                f"{org}/secrets/C1:rotate",
                json={"value": rotated},
                headers={"If-Match": '"99"'},
            ),
            call("POST", f"{org}/secrets", json={"name": 7, "backend": "local", "value": [local]}),
            call(
                "POST", f"{org}/secrets", content=b'{"name": "C4", "value": "' + canaries[0] + b'"'
            ),
        ]
        assert all(400 <= r.status_code < 500 for r in refused), [r.status_code for r in refused]

        with secrets_of(stack) as context:
            scope = AttemptScope(
                uuid.UUID(tree.org["guid"]),
                uuid.UUID(tree.team["guid"]),
                uuid.UUID(tree.ws["guid"]),
            )
            outcome = context.resolver.resolve_for_attempt(
                system_context(),
                scope,
                uuid.uuid4(),
                1,
                [
                    SecretRequest("C1", target="C1"),
                    SecretRequest("C2", delivery="file", target="c2"),
                ],
                "canary-dispatcher",
            )
        assert isinstance(outcome, Resolved)
        assert [s.value for s in outcome.secrets] == [canaries[1], canaries[2]]
        assert str(canaries[1]) not in repr(outcome)

        after = {"min_position": str(outcome.position)}
        secret = f"{org}/secrets/C1"
        for path in (
            f"{org}/secrets",
            secret,
            f"{secret}/versions",
            f"{secret}/history",
            f"{secret}/accesses",
            f"{tree.ws_path}/secrets/C2/versions",
        ):
            assert call("GET", path, params=after).status_code == 200

    out, err = capfd.readouterr()
    seen.logs += [out, err]
    assert len(seen.logs) > 2, "no log line was captured: the log source is not wired"
    assert any("domain.secrets.secret:Secret" in where for where, _ in _event_store(seen))
    hits = [
        f"{source}: {where}"
        for source, read in SOURCES.items()
        for where, blob in read(seen)
        for canary in canaries
        for needle in encodings(canary)
        if needle in blob
    ]
    assert hits == []


def _hits(seen: Sighting, canaries: list[bytes]) -> list[str]:
    return [
        f"{source}: {where}"
        for source, read in SOURCES.items()
        for where, blob in read(seen)
        for canary in canaries
        for needle in encodings(canary)
        if needle in blob
    ]


# Uses both secrets as env variables and files, and prints only their hashes.
HASHING_AGENT = """
import hashlib, os
for variable, path in (("LOCAL_KEY", "keys/local"), ("VAULT_KEY", "keys/vault")):
    value = os.environ[variable].encode()
    assert open(path, "rb").read() == value
    print(variable, hashlib.sha256(value).hexdigest(), flush=True)
"""


def test_no_value_is_found_anywhere_after_a_task_was_injected_with_it(
    fresh_db_url, nats_bus, bus_config, vault_server, capfd
):
    """A task really runs with a local and a vault secret (env and file); then the event
    store, every table, the stream, the responses, every log and the files are searched."""
    canaries = [f"CANARY-{uuid.uuid4().hex}-{n}-zQ7!".encode() for n in range(2)]
    local, vaulted = (c.decode() for c in canaries)
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-canary-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "vault_addr": vault_server[0],
        "vault_token": vault_server[1],
    }
    seen = Sighting(database_url=fresh_db_url, bus=bus_config)
    watching = _watching(seen)
    next(watching)
    try:
        with running_stack(fresh_db_url, **options) as stack, relay_running(stack.settings):
            seen.directories += [stack.settings.blob_path, runtime_dir]
            with stack.admin() as admin, dispatcher_thread(stack.settings):

                def call(method: str, path: str, **kw) -> httpx.Response:
                    response = admin.request(method, path, **kw)
                    seen.responses.append(response)
                    return response

                tree = task_tree(admin, "canary-task")
                created(
                    call(
                        "POST",
                        f"{tree.org_path}/agent-definitions",
                        json={
                            "name": "hasher",
                            "image": "python:3.11",
                            "cmd_override": [PYTHON, "-u", "-c", HASHING_AGENT],
                        },
                    )
                )
                body = {"name": "LK", "backend": "local", "value": local}
                created(call("POST", f"{tree.ws_path}/secrets", json=body))
                path = f"signalyard/{uuid.uuid4().hex}"
                body = {"name": "VK", "backend": "vault", "value": vaulted, "path_or_arn": path}
                created(call("POST", f"{tree.org_path}/secrets", json=body))
                needs = [
                    {"name": "LK", "as": "env", "env_var": "LOCAL_KEY"},
                    {"name": "LK", "as": "file", "path": "keys/local"},
                    {"name": "VK", "as": "env", "env_var": "VAULT_KEY"},
                    {"name": "VK", "as": "file", "path": "keys/vault"},
                ]
                task = submit(admin, tree, "hasher", secrets=needs)
                done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
                url = f"{tree.project_path}/tasks/{task['guid']}"
                assert wait_until(lambda: len(call("GET", url).json()["secret_accesses"]) == 2)
                for read in ("/logs", "/timeline", "/history"):
                    assert call("GET", url + read).status_code == 200
                for secret in (f"{tree.ws_path}/secrets/LK", f"{tree.org_path}/secrets/VK"):
                    assert call("GET", f"{secret}/accesses").json()["items"]
        out, err = capfd.readouterr()
        seen.logs += [out, err]
        log = next(r.text for r in seen.responses if r.request.url.path.endswith("/logs"))
        assert done["status"] == "succeeded", (done, log)
        assert hashlib.sha256(canaries[0]).hexdigest() in log
        assert hashlib.sha256(canaries[1]).hexdigest() in log
        assert any("secrets resolved: LK v1" in line for line in seen.logs), "no dispatcher log"
        assert any(where.startswith("file ") for where, _ in _files(seen))
        assert _hits(seen, canaries) == []
    finally:
        watching.close()
        shutil.rmtree(runtime_dir, ignore_errors=True)


def test_the_search_finds_a_value_however_it_is_encoded_and_wherever_it_sits():
    value = b"CANARY-0123456789abcdef-zQ7!"
    for prefix in (b"", b"a", b"ab", b"abc"):
        wrapped = prefix + value + b"tail"
        for text in (
            wrapped,
            wrapped.hex().encode(),
            wrapped.hex().upper().encode(),
            base64.b64encode(wrapped),
            base64.urlsafe_b64encode(wrapped),
        ):
            assert any(needle in text for needle in encodings(value)), (prefix, text)
