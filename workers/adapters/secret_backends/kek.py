"""Key-encryption keys: what wraps each organization's data key. A master key from settings
(AES-256-GCM, never stored in the database) or OpenBao/Vault transit.

Wrapped keys name the KEK that wrapped them (`kek_id`: a fingerprint, not the key), so a
ring of the current KEK and the previous ones can unwrap during a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_NONCE = 12


class KeyEncryptionKey(Protocol):
    kek_id: str

    def wrap(self, data_key: bytes, org_id: UUID) -> bytes: ...

    def unwrap(self, wrapped: bytes, org_id: UUID) -> bytes: ...


def parse_master_key(encoded: str) -> bytes:
    """A base64 string of exactly 32 bytes; the error never repeats the key."""
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise ValueError("must be base64 (32 random bytes)") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def new_master_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self.kek_id = "master:" + hashlib.sha256(b"signalyard-kek:" + key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"MasterKey({self.kek_id})"

    def wrap(self, data_key: bytes, org_id: UUID) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data_key, b"org-data-key:" + org_id.bytes)

    def unwrap(self, wrapped: bytes, org_id: UUID) -> bytes:
        nonce, sealed = wrapped[:_NONCE], wrapped[_NONCE:]
        return self._aead.decrypt(nonce, sealed, b"org-data-key:" + org_id.bytes)


class TransitKey:
    """OpenBao/Vault transit: the KEK never leaves the server; ciphertexts `vault:vN:…`."""

    def __init__(self, client: Any, name: str, mount: str = "transit") -> None:
        self._client, self._name, self._mount = client, name, mount
        self.kek_id = f"transit:{mount}/{name}"

    def ensure(self) -> None:
        """The transit engine mounted and the key made (a dev server has neither)."""
        if f"{self._mount}/" not in self._client.sys.list_mounted_secrets_engines()["data"]:
            self._client.sys.enable_secrets_engine("transit", path=self._mount)
        transit = self._client.secrets.transit
        try:
            transit.read_key(name=self._name, mount_point=self._mount)
        except Exception:  # noqa: BLE001 - missing key (or mount): create it
            transit.create_key(name=self._name, mount_point=self._mount)

    def wrap(self, data_key: bytes, org_id: UUID) -> bytes:
        answer = self._client.secrets.transit.encrypt_data(
            name=self._name,
            plaintext=base64.b64encode(data_key).decode(),
            mount_point=self._mount,
        )
        return str(answer["data"]["ciphertext"]).encode()

    def unwrap(self, wrapped: bytes, org_id: UUID) -> bytes:
        answer = self._client.secrets.transit.decrypt_data(
            name=self._name, ciphertext=wrapped.decode(), mount_point=self._mount
        )
        return base64.b64decode(answer["data"]["plaintext"])

    def rotate(self) -> None:
        self._client.secrets.transit.rotate_key(name=self._name, mount_point=self._mount)

    def rewrap(self, wrapped: bytes) -> bytes:
        answer = self._client.secrets.transit.rewrap_data(
            name=self._name, ciphertext=wrapped.decode(), mount_point=self._mount
        )
        return str(answer["data"]["ciphertext"]).encode()


class KekRing:
    """The current KEK (wraps every new key) and the previous ones (unwrap only)."""

    def __init__(self, current: KeyEncryptionKey, previous: Iterable[KeyEncryptionKey] = ()):
        self.current = current
        self._by_id = {k.kek_id: k for k in (*previous, current)}

    def unwrap(self, kek_id: str, wrapped: bytes, org_id: UUID) -> bytes:
        kek = self._by_id.get(kek_id)
        if kek is None:
            raise LookupError(f"no key-encryption key {kek_id} is configured")
        return kek.unwrap(wrapped, org_id)
