"""Rotating the key-encryption key re-wraps each org's data key and leaves every value's
ciphertext as it was: with the dev key file (through the CLI) and with OpenBao transit."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from domain.secrets.ports import SecretLocator
from signalyard.cli import main
from signalyard.secrets_wiring import (
    build_data_keys,
    ensure_dev_master_key,
    master_key_file,
    rotate_master_key,
)
from signalyard.settings import Settings
from workers.adapters.secret_backends.data_keys import create_tables
from workers.adapters.secret_backends.local import LocalBackend


def _wrapped(url: str, org: uuid.UUID) -> tuple[str, bytes]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT kek_id, wrapped_key FROM secrets.org_data_keys WHERE organization_id = %s",
            (org,),
        ).fetchone()
    assert row is not None
    return row[0], bytes(row[1])


def _open(settings: Settings, url: str, at: SecretLocator, stored) -> bytes:
    keys, pool = build_data_keys(settings, url)  # as a new process would
    try:
        return LocalBackend(keys).get(at, stored)
    finally:
        pool.close()


@pytest.fixture
def url(fresh_db_url: str) -> str:
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        create_tables(conn)
    return fresh_db_url


def test_the_dev_key_file_is_rotated_by_the_cli_and_values_still_open(
    url, tmp_path: Path, monkeypatch
):
    settings = Settings(database_url=url, data_dir=tmp_path)
    ensure_dev_master_key(settings)
    assert master_key_file(settings).stat().st_mode & 0o777 == 0o600
    org = uuid.uuid4()
    at = SecretLocator(org, uuid.uuid4(), 1, "")
    keys, pool = build_data_keys(settings, url)
    stored = LocalBackend(keys).put(at, b"rotate-me")
    pool.close()
    old_key, before = master_key_file(settings).read_text(), _wrapped(url, org)

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SIGNALYARD_DATA_DIR", str(tmp_path))
    assert main(["secrets", "rotate-master-key"]) == 0

    after = _wrapped(url, org)
    assert after[0] != before[0] and after[1] != before[1]
    assert master_key_file(settings).read_text() != old_key
    assert _open(settings, url, at, stored) == b"rotate-me"
    master_key_file(settings).with_name("secrets-master.key.previous").unlink()
    assert _open(settings, url, at, stored) == b"rotate-me"  # the new key alone opens it
    only_old = Settings(
        database_url=url, data_dir=tmp_path / "elsewhere", secrets_master_key=old_key
    )
    with pytest.raises(LookupError, match="no key-encryption key"):
        _open(only_old, url, at, stored)


def test_transit_wraps_and_rewraps_data_keys_inside_openbao(url, vault_server):
    addr, token = vault_server
    settings = Settings(
        database_url=url,
        vault_addr=addr,
        vault_token=token,
        secrets_transit_key=f"kek-{uuid.uuid4().hex[:8]}",
    )
    org = uuid.uuid4()
    at = SecretLocator(org, uuid.uuid4(), 1, "")
    keys, pool = build_data_keys(settings, url)
    stored = LocalBackend(keys).put(at, b"in-transit")
    pool.close()
    kek_id, wrapped = _wrapped(url, org)
    assert kek_id.startswith("transit:") and wrapped.startswith(b"vault:v1:")
    done, _ = rotate_master_key(settings, url)
    assert done == 1 and _wrapped(url, org)[1].startswith(b"vault:v2:")
    assert _open(settings, url, at, stored) == b"in-transit"
