"""The local backend: envelope encryption. A value is sealed with AES-256-GCM under its
organization's data key, the associated data binding the ciphertext to org, secret and
version (a ciphertext copied onto another secret or version does not open)."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.core.errors import InvalidInput
from domain.secrets.errors import SecretGone
from domain.secrets.ports import SecretLocator, StoredVersion
from workers.adapters.secret_backends.data_keys import DataKeyStore

CIPHER = "AES-256-GCM"
_NONCE = 12


def associated_data(at: SecretLocator) -> bytes:
    return f"signalyard-secret:{at.organization_id}:{at.secret_id}:{at.version}".encode()


class LocalBackend:
    def __init__(self, keys: DataKeyStore) -> None:
        self.keys = keys

    def check_path(self, path_or_arn: str | None, has_value: bool) -> str:
        if path_or_arn:
            raise InvalidInput("a local secret has no path_or_arn", field="path_or_arn")
        if not has_value:
            raise InvalidInput("a local secret needs a value", field="value")
        return ""

    def put(self, at: SecretLocator, value: bytes | None) -> StoredVersion:
        if value is None:
            raise InvalidInput("a local secret needs a value", field="value")

        aead = AESGCM(self.keys.data_key(at.organization_id, create=True))
        nonce = os.urandom(_NONCE)
        sealed = nonce + aead.encrypt(nonce, value, associated_data(at))
        return {"ciphertext": base64.b64encode(sealed).decode(), "cipher": CIPHER}

    def get(self, at: SecretLocator, stored: StoredVersion) -> bytes:

        sealed = base64.b64decode(stored["ciphertext"])
        aead = AESGCM(self.keys.data_key(at.organization_id, create=False))
        try:
            return aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], associated_data(at))
        except InvalidTag:
            raise SecretGone("the ciphertext does not open with this organization's key") from None
